#!/bin/sh
# Makes the secret files docker-compose.yml reads, once; never overwrites one (losing the payload keys loses
# every history they encrypted):
#
#   payload-keys  a new payload encryption key, `id=base64key` (`mallbots new-payload-key`): every worker and
#                 the API get it as the Compose secret /run/secrets/mallbots-payload-keys
#   codec.env     MALLBOTS_CODEC_TOKEN (the API's codec endpoint) and TEMPORAL_CODEC_ENDPOINT (the Temporal
#                 UI decodes through it); an env file, read by Compose on this host only
#
# In deploy/secrets/ (MALLBOTS_SECRETS_DIR to choose another directory), made 0700: no other user of this host
# reads them. payload-keys is 0644 in it because the containers' user (uid 10001) reads it; codec.env is 0600.
# Uses `mallbots` from PATH (a `uv sync` checkout: `uv run deploy/compose-secrets.sh`), else the image
# mallbots:local (`docker compose build` first).
set -eu -C  # -C: `>` never replaces an existing file

dir=${MALLBOTS_SECRETS_DIR:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

if command -v mallbots >/dev/null 2>&1; then
    new_key() { mallbots new-payload-key; }
    new_token() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
elif docker image inspect mallbots:local >/dev/null 2>&1; then
    new_key() { docker run --rm mallbots:local new-payload-key; }
    new_token() { docker run --rm --entrypoint python mallbots:local -c 'import secrets; print(secrets.token_urlsafe(32))'; }
else
    echo "compose-secrets: neither \`mallbots\` on PATH nor the image mallbots:local: run \`uv sync\` (then" \
        "\`uv run deploy/compose-secrets.sh\`) or \`docker compose build\` first" >&2
    exit 1
fi

if [ -e "$dir/payload-keys" ]; then
    echo "compose-secrets: $dir/payload-keys exists, left as it is (rotate a key: deploy/README.md)"
else
    key=$(new_key)
    printf '%s\n' "$key" >"$dir/payload-keys"
    chmod 644 "$dir/payload-keys"
    echo "compose-secrets: made $dir/payload-keys (key ${key%%=*}); back it up like a database password"
fi

if [ -e "$dir/codec.env" ]; then
    echo "compose-secrets: $dir/codec.env exists, left as it is"
else
    token=$(new_token)
    # Compose expands ${MALLBOTS_CODEC_TOKEN} from the line above it: the token is written once.
    printf '%s\n' \
        "# The codec endpoint's bearer token (the API) and where the Temporal UI's browser page decodes payloads." \
        "MALLBOTS_CODEC_TOKEN=$token" \
        'TEMPORAL_CODEC_ENDPOINT=http://localhost:8080/codec/${MALLBOTS_CODEC_TOKEN}' >"$dir/codec.env"
    echo "compose-secrets: made $dir/codec.env (the codec token)"
fi
