"""The consumer side of the HTTP contracts: how an interaction is written down, and how the typed client is run
against Pact's mock server for it.

An interaction is a :class:`Case`: the request the client sends, the answer the provider gives (with matchers for
everything the provider generates), and the client call that produces that request. The consumer test runs the
call against the mock server and checks what the client hands back: the parsed entity, or an ``ApiError`` with
the answer's status and message.

IDs the provider generates reach the contract as *provider-state injected values*: the request says
``/api/stores/${storeId}`` (with an example for the mock server), and during verification the provider state
``"a store exists"`` answers ``{"storeId": ...}``, which the verifier puts into the request.

Every request is made by someone: a case names its :class:`Caller`, and its ``Authorization`` header is injected
the same way, ``Bearer ${customerToken}``: the provider state that made the basket answers the token of the
customer it made it for (``states.py``). The mock server sees an example token; the API, the real one. A case
whose caller is None sends no token at all.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pact import Pact, generate, match
from pact.match.matcher import AbstractMatcher, GenericMatcher

from mallbots.tools.client import ApiError, MallbotsClient
from tests.contracts.drift import settle

CONSUMER = "mallbots-client"
PROVIDERS = ("stores", "customers", "baskets", "ordering", "depot", "payments", "notifications", "search")
PACT_DIR = Path(__file__).resolve().parents[3] / "contracts" / "pacts"
JSON = "application/json"

# ISO 8601 as pydantic writes an aware datetime: fractions only when there are some.
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
EXAMPLE_TIME = "2026-11-28T10:15:30.123456Z"

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Caller(StrEnum):
    """Who makes a request: the provider-state value that holds that user's bearer token. The "other" ones are
    users who do not own what the interaction's state made (another customer, store owner or bot)."""

    CUSTOMER = "customerToken"
    OTHER_CUSTOMER = "otherCustomerToken"
    STORE_OWNER = "storeOwnerToken"
    OTHER_STORE_OWNER = "otherStoreOwnerToken"
    BOT = "botToken"
    OTHER_BOT = "otherBotToken"
    OPERATOR = "operatorToken"

    @property
    def example_token(self) -> str:
        """What the client sends the mock server (the verifier sends the provider state's token instead)."""
        return f"example-{self.value}"


def pact_file(provider: str) -> Path:
    return PACT_DIR / f"{CONSUMER}-{provider}.json"


def injected(name: str, example: str) -> AbstractMatcher[str]:
    """A value the provider state supplies (``${name}``); ``example`` is what the mock server works with."""
    return GenericMatcher("type", value=example, generator=generate.provider_state(f"${{{name}}}"))


def bearer(caller: Caller) -> AbstractMatcher[str]:
    """The ``Authorization`` header of a request ``caller`` makes: any bearer token for the mock server, the
    provider state's token of that user during verification."""
    return GenericMatcher(
        "regex",
        value=f"Bearer {caller.example_token}",
        regex=r"^Bearer \S+$",
        generator=generate.provider_state(f"Bearer ${{{caller.value}}}"),
    )


def path(template: str, **examples: str) -> str | AbstractMatcher[str]:
    """``path("/api/stores/{storeId}", storeId="s-1")``: the example path for the mock server, any ID in that
    position for matching, and the provider state's ``storeId`` put in during verification."""
    names = _PLACEHOLDER.findall(template)
    if not names:
        return template
    example = template.format(**examples)
    expression = _PLACEHOLDER.sub(lambda m: f"${{{m.group(1)}}}", template)
    pieces = _PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    regex = "".join(re.escape(p) if i % 2 == 0 else "[^/]+" for i, p in enumerate(pieces))
    return GenericMatcher("regex", value=example, regex=f"^{regex}$", generator=generate.provider_state(expression))


def exactly(value: object) -> AbstractMatcher[Any]:
    """This value itself, also inside ``each_like`` (whose type matching covers everything below it)."""
    return GenericMatcher("equality", value=value)


def timestamp(example: str = EXAMPLE_TIME) -> AbstractMatcher[str]:
    return match.regex(example, regex=TIMESTAMP)


def error(example: str, regex: str | None = None) -> dict[str, object]:
    """An error answer: ``{"message": ...}``, its wording pinned by ``regex`` (the example itself if exact)."""
    return {"message": match.regex(example, regex=regex or f"^{re.escape(example)}$")}


def example(value: object) -> Any:
    """The example a body with matchers stands for: what the mock server answers."""
    if isinstance(value, GenericMatcher):
        return example(value.value)
    if isinstance(value, AbstractMatcher):
        raise TypeError(f"no example for {value!r}")
    if isinstance(value, Mapping):
        return {k: example(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [example(v) for v in value]
    return value


Call = Callable[[MallbotsClient], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    """One interaction of a service's contract, and the client call that makes its request."""

    description: str
    method: str
    path: str | AbstractMatcher[str]
    call: Call
    status: int = 200
    states: Sequence[str] = ()
    body: dict[str, Any] | None = None
    query: Mapping[str, object] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    response: dict[str, Any] | None = None
    # What the client returns, from the example response (None for an error: the client raises ApiError).
    returns: Callable[[Any], object] | None = None
    # Who sends it (its token comes from the states: one of them must answer it); None: no token at all.
    caller: Caller | None = field(kw_only=True)

    @property
    def token(self) -> str | None:
        """The token the client sends the mock server."""
        return self.caller.example_token if self.caller is not None else None

    def add_to(self, pact: Pact) -> None:
        interaction = pact.upon_receiving(self.description)
        for state in self.states:
            interaction.given(state)
        interaction.with_request(self.method, self.path)
        for name, value in self.query.items():
            interaction.with_query_parameter(name, value)
        assert "authorization" not in {n.lower() for n in self.headers}, "say who calls with caller="
        if self.caller is not None:
            interaction.with_header("Authorization", bearer(self.caller))
        for name, header in self.headers.items():
            interaction.with_header(name, header)
        if self.body is not None:
            interaction.with_body(self.body, JSON)
        interaction.will_respond_with(self.status)
        if self.response is not None:
            interaction.with_body(self.response, JSON)

    async def check(self, client: MallbotsClient) -> None:
        answer = example(self.response)
        if self.status >= 400:
            with pytest.raises(ApiError) as raised:
                await self.call(client)
            assert (raised.value.status, raised.value.message) == (self.status, answer["message"])
            return
        assert self.returns is not None, f"{self.description}: say what the client returns"
        assert await self.call(client) == self.returns(answer)


def case_id(case: Case) -> str:
    return case.description


class ConsumerContract:
    """Collects one service's interactions, each proven against the client on its own mock server, and writes
    the pact file once every interaction of the module passed (a partial run leaves the committed file alone):
    checked against the committed one, or written over it by ``make pacts`` (``tests/contracts/drift.py``).

    The pact core sorts interactions by description, so the same cases always give the same file."""

    def __init__(self, provider: str, cases: Sequence[Case], scratch: Path) -> None:
        descriptions = [c.description for c in cases]
        assert len(set(descriptions)) == len(descriptions), f"duplicate descriptions in the {provider} contract"
        self.provider = provider
        self.expected = set(descriptions)
        self.passed: set[str] = set()
        self.scratch = scratch

    def new_pact(self) -> Pact:
        return Pact(CONSUMER, self.provider).with_specification("V4")

    async def check(self, case: Case) -> None:
        pact = self.new_pact()
        case.add_to(pact)
        with pact.serve() as server:
            async with MallbotsClient(str(server.url), token=case.token) as client:
                await case.check(client)
        pact.write_file(self.scratch)  # merged with the interactions before it
        self.passed.add(case.description)

    def publish(self) -> None:
        """Once every interaction passed: the committed pact must be what the client now expects (``make
        test``), or is rewritten with it (``make pacts``). A partial run leaves it alone."""
        if self.passed != self.expected:
            return
        settle(self.scratch / pact_file(self.provider).name, pact_file(self.provider))


def consumer_contract(provider: str, cases: Sequence[Case], tmp: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    """Body of each consumer module's fixture: yields the contract; after the module, its pact is checked
    against the committed one (a drift fails the module's last test, at teardown, naming the interactions)."""
    contract = ConsumerContract(provider, cases, tmp.mktemp(f"pact-{provider}"))
    yield contract
    contract.publish()
