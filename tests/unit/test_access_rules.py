"""The access table (``api.access.RULES``) against the app's route table, with no server: every route the app
serves has exactly one rule, every rule serves a route, and a route nobody wrote a rule for serves no one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from api import access
from api.access import RULES, rule_for
from api.app import ROUTERS, create_app
from api.auth import Role
from api.codec import CodecServer
from api.deps import ApiContext
from mallbots.codec import EncryptionCodec, PayloadKey
from mallbots.identity import LocalIssuer

# What may be served without a token: health, the API's description, the codec endpoint (its own secret).
HEALTH_AND_DOCS = {
    ("GET", "/liveness"),
    ("GET", "/readiness"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
CODEC = {
    ("POST", "/codec/decode"),
    ("POST", "/codec/encode"),
    ("POST", "/codec/{token}/decode"),
    ("POST", "/codec/{token}/encode"),
}


def _context(verifier: Any = None) -> ApiContext:
    # No Temporal and no database: only routes that never reach them are called here.
    return ApiContext(client=cast(Any, None), sessions=cast(Any, None), verifier=verifier)


def _codec_server() -> CodecServer:
    return CodecServer(EncryptionCodec([PayloadKey.generate("unit")]), token="unit-codec-token")


def _full_app(verifier: Any = None) -> FastAPI:
    """Every router, health, metrics, and the codec endpoint: the most the API ever serves."""
    return create_app(_context(verifier), codec_server=_codec_server())


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """(the path ``authorize`` looks the rule up by, the route) for every route, included routers descended."""
    for route in routes:
        original = getattr(route, "original_router", None)  # FastAPI's _IncludedRouter
        if original is not None:
            included_prefix = str(getattr(getattr(route, "include_context", None), "prefix", ""))
            yield from _walk(list(original.routes), prefix + included_prefix)
        elif isinstance(route, APIRoute | Route):
            yield prefix + route.path, route


def _operations(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    found = set()
    for path, route in _walk(routes):
        for method in getattr(route, "methods", None) or ():
            found.add(("GET" if method == "HEAD" else method, path))
    return found


def _served() -> set[tuple[str, str]]:
    return _operations(list(_full_app().routes))


def test_the_app_route_walk_finds_every_router_of_the_api() -> None:
    # The walk of the app must see what each router declares (else the checks below would check nothing).
    served = _served()
    for name, router in ROUTERS.items():
        declared = _operations(list(router.routes))
        assert declared, f"the {name} router declares no routes"
        assert declared <= served, f"the app does not serve {sorted(declared - served)} of the {name} router"
    assert HEALTH_AND_DOCS | CODEC | {("GET", "/metrics")} <= served


def test_no_router_is_included_under_an_extra_prefix() -> None:
    """``authorize`` looks the rule up by the route's own path: a router included with a prefix would be
    served at a path its rules do not name."""
    for route in _full_app().routes:
        context = getattr(route, "include_context", None)
        if context is not None:
            assert context.prefix == "", f"a router is included under the prefix {context.prefix!r}"


def _unruled(served: set[tuple[str, str]]) -> list[str]:
    return sorted(f"{method} {path}" for method, path in served if rule_for(method, path) is None)


def test_every_route_of_every_router_has_an_access_rule() -> None:
    missing = _unruled(_served())
    assert missing == [], f"routes with no rule in api.access.RULES (they serve no one): {missing}"


def test_a_head_request_is_judged_by_its_get_rule() -> None:
    assert rule_for("HEAD", "/docs") is RULES[("GET", "/docs")]
    assert rule_for("HEAD", "/api/stores") is RULES[("GET", "/api/stores")]


def test_every_rule_serves_a_route() -> None:
    served = _served()
    stale = sorted(f"{method} {path}" for method, path in RULES if (method, path) not in served)
    assert stale == [], f"rules in api.access.RULES that match no route (stale): {stale}"


def test_rules_name_upper_case_methods_and_paths_that_start_with_a_slash() -> None:
    odd = [key for key in RULES if not key[0].isupper() or not key[1].startswith("/")]
    assert odd == []


def test_every_rule_that_checks_ownership_names_the_resource() -> None:
    unnamed = sorted(f"{method} {path}" for (method, path), rule in RULES.items() if rule.owned and not rule.what)
    assert unnamed == [], f"rules with an ownership check but no `what` for their 404: {unnamed}"


def test_an_owned_rule_on_a_path_with_an_id_names_that_id_in_its_404() -> None:
    # ``_missing`` names the resource from the first of these path parameters it finds.
    for (method, path), rule in RULES.items():
        params = re.findall(r"\{(\w+)\}", path)
        if rule.owned is not None and params:
            assert set(params) & set(access._RESOURCE_PARAMS), f"{method} {path}: {params} names no resource ID"


def test_only_health_docs_and_the_codec_endpoint_are_public() -> None:
    public = {key for key, rule in RULES.items() if rule.public}
    assert public == HEALTH_AND_DOCS | CODEC
    for key in HEALTH_AND_DOCS:
        rule = RULES[key]
        assert (rule.public, rule.roles, rule.owned, rule.anyone) == (True, frozenset(), None, False), key


def test_metrics_is_the_only_metrics_rule_and_no_api_route_is_public() -> None:
    assert [key for key, rule in RULES.items() if rule.metrics] == [("GET", "/metrics")]
    for (method, path), rule in RULES.items():
        if path.startswith("/api/"):
            assert not rule.public and not rule.metrics, f"{method} {path} needs no token"


def test_operators_are_never_listed_as_a_rule_role_and_no_rule_is_both_open_and_restricted() -> None:
    # Operators may do everything anyway; a rule that lists roles *and* lets anyone in says two things.
    for key, rule in RULES.items():
        assert Role.OPERATOR not in rule.roles, key
        assert not (rule.anyone and (rule.roles or rule.owned)), key
        assert not (rule.public and (rule.roles or rule.owned or rule.anyone)), key


# ---- deny by default, through the app's own dependencies --------------------------------------------------
def _app_with_unruled_routes(verifier: Any = None) -> FastAPI:
    """The real app plus routes no one wrote a rule for: one on the app, one on an included router."""
    app = _full_app(verifier)

    @app.get("/api/unruled")
    async def unruled() -> dict[str, str]:
        return {"served": "yes"}

    extra = APIRouter(prefix="/api/extra")

    @extra.post("/things")
    async def things() -> dict[str, str]:
        return {"served": "yes"}

    app.include_router(extra)
    return app


async def _call(app: FastAPI, method: str, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        return await http.request(method, path, headers=headers, json={} if method != "GET" else None)


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/unruled"), ("POST", "/api/extra/things")])
async def test_a_route_added_without_a_rule_is_refused_even_to_an_operator(method: str, path: str) -> None:
    issuer = LocalIssuer.generate("mallbots")
    app = _app_with_unruled_routes(issuer.verifier())
    # The table check names them (so the test above fails for such a route), and a request is refused.
    assert _unruled(_operations(list(app.routes))) == ["GET /api/unruled", "POST /api/extra/things"]

    answer = await _call(app, method, path, issuer.mint("operator-1", [Role.OPERATOR]))

    assert answer.status_code == 403, answer.text
    assert answer.json()["message"] == "this route has no access rule; it serves no one"


def test_the_table_check_names_a_plain_starlette_route_added_without_a_rule() -> None:
    """``authorize`` is a FastAPI dependency: a plain Starlette route (``app.add_route``) never runs it and is
    served to anyone, so this table check is the only guard for one."""
    app = _full_app()

    async def raw(request: Request) -> PlainTextResponse:
        return PlainTextResponse("served")

    app.add_route("/api/raw", raw, methods=["GET"])
    assert _unruled(_operations(list(app.routes))) == ["GET /api/raw"]


async def test_a_route_added_without_a_rule_is_refused_with_authentication_off() -> None:
    # Authentication off makes every caller the anonymous operator: still no one is served an unruled route.
    answer = await _call(_app_with_unruled_routes(None), "GET", "/api/unruled")
    assert answer.status_code == 403, answer.text


async def test_the_unit_app_serves_a_public_route_and_refuses_a_ruled_one_without_a_token() -> None:
    # The same app answers where a rule exists, so the 403 above is the missing rule, not a broken app.
    app = _app_with_unruled_routes(LocalIssuer.generate("mallbots").verifier())
    assert (await _call(app, "GET", "/liveness")).status_code == 200
    refused = await _call(app, "GET", "/api/stores")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="mallbots"'
    assert refused.json()["message"] == "a bearer token is required"


async def test_a_role_the_rule_does_not_name_is_refused_before_the_route_runs() -> None:
    issuer = LocalIssuer.generate("mallbots")
    app = _full_app(issuer.verifier())
    answer = await _call(app, "POST", "/api/stores", issuer.mint("customer-1", [Role.CUSTOMER]))
    assert answer.status_code == 403
    assert answer.json()["message"] == "this needs the role operator or store_owner; the token has customer"


@pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.CUSTOMER, 403), (Role.OPERATOR, 200)])
async def test_metrics_need_an_operator_when_they_are_not_public(role: Role | None, status: int) -> None:
    issuer = LocalIssuer.generate("mallbots")
    context = _context(issuer.verifier())
    context.metrics_public = False
    token = issuer.mint(f"{role}-1", [role]) if role is not None else None

    answer = await _call(create_app(context), "GET", "/metrics", token)

    assert answer.status_code == status, answer.text
