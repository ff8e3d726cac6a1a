#!/bin/sh
# Makes the secret files docker-compose.yml reads, once; never overwrites one (losing the payload keys loses
# every history they encrypted):
#
#   payload-keys  a new payload encryption key, `id=base64key` (`mallbots new-payload-key`): every worker and
#                 the API get it as the Compose secret /run/secrets/mallbots-payload-keys
#   codec.env     MALLBOTS_CODEC_TOKEN (the API's codec endpoint) and TEMPORAL_CODEC_ENDPOINT (the Temporal
#                 UI decodes through it); an env file, read by Compose on this host only
#   mallbots-db.env   a random POSTGRES_PASSWORD for the MallBots database, and MALLBOTS_DATABASE_URL with it
#                 (Postgres, the migrations, every worker and the API); an env file
#   temporal-db.env   a random password of Temporal's database, as POSTGRES_PASSWORD (its Postgres) and
#                 POSTGRES_PWD (Temporal); an env file
#   auth-signing-key.pem  the API's local token issuer key (EC P-256, PKCS#8 PEM): the Compose secret
#                 /run/secrets/mallbots-auth-signing-key (MALLBOTS_AUTH_SIGNING_KEY_FILE)
#   grafana.env   a random GF_SECURITY_ADMIN_PASSWORD of Grafana's admin user (set when its volume is first
#                 made); an env file, read by Grafana only
#
# In deploy/secrets/ (MALLBOTS_SECRETS_DIR to choose another directory), made 0700: no other user of this host
# reads them. payload-keys and auth-signing-key.pem are 0644 in it because the containers' user (uid 10001) reads
# them; the env files are 0600. A password only takes effect when its database volume is first made: delete a
# *-db.env file only together with its volume (`docker compose down -v`).
# Uses `mallbots` from PATH (a `uv sync` checkout: `uv run deploy/compose-secrets.sh`), else the image
# mallbots:local (`docker compose build` first).
set -eu -C  # -C: `>` never replaces an existing file

dir=${MALLBOTS_SECRETS_DIR:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

if command -v mallbots >/dev/null 2>&1; then
    new_key() { mallbots new-payload-key; }
    run_python() { python3 -c "$1"; }
elif docker image inspect mallbots:local >/dev/null 2>&1; then
    new_key() { docker run --rm mallbots:local new-payload-key; }
    run_python() { docker run --rm --entrypoint python mallbots:local -c "$1"; }
else
    echo "compose-secrets: neither \`mallbots\` on PATH nor the image mallbots:local: run \`uv sync\` (then" \
        "\`uv run deploy/compose-secrets.sh\`) or \`docker compose build\` first" >&2
    exit 1
fi
# URL-safe characters only: a password goes into MALLBOTS_DATABASE_URL as it is.
new_token() { run_python 'import secrets; print(secrets.token_urlsafe(32))'; }
new_signing_key() {
    if command -v openssl >/dev/null 2>&1; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
    else
        run_python 'from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ec
key = ec.generate_private_key(ec.SECP256R1())
print(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()).decode(), end="")'
    fi
}

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

if [ -e "$dir/mallbots-db.env" ]; then
    echo "compose-secrets: $dir/mallbots-db.env exists, left as it is"
else
    password=$(new_token)
    printf '%s\n' \
        "# The MallBots database's password (set when its volume is first made) and the services' URL with it." \
        "POSTGRES_PASSWORD=$password" \
        "MALLBOTS_DATABASE_URL=postgresql+psycopg://mallbots:$password@postgres:5432/mallbots" >"$dir/mallbots-db.env"
    echo "compose-secrets: made $dir/mallbots-db.env (the MallBots database's password)"
fi

if [ -e "$dir/temporal-db.env" ]; then
    echo "compose-secrets: $dir/temporal-db.env exists, left as it is"
else
    password=$(new_token)
    printf '%s\n' \
        "# Temporal's database password: its Postgres reads POSTGRES_PASSWORD, Temporal POSTGRES_PWD." \
        "POSTGRES_PASSWORD=$password" \
        "POSTGRES_PWD=$password" >"$dir/temporal-db.env"
    echo "compose-secrets: made $dir/temporal-db.env (Temporal's database password)"
fi

if [ -e "$dir/grafana.env" ]; then
    echo "compose-secrets: $dir/grafana.env exists, left as it is"
else
    password=$(new_token)
    printf '%s\n' \
        "# Grafana's admin password (user admin), set when its volume is first made: http://localhost:3000" \
        "GF_SECURITY_ADMIN_PASSWORD=$password" >"$dir/grafana.env"
    echo "compose-secrets: made $dir/grafana.env (Grafana's admin password)"
fi

if [ -e "$dir/auth-signing-key.pem" ]; then
    echo "compose-secrets: $dir/auth-signing-key.pem exists, left as it is"
else
    new_signing_key >"$dir/auth-signing-key.pem"
    chmod 644 "$dir/auth-signing-key.pem"
    echo "compose-secrets: made $dir/auth-signing-key.pem (the API's token signing key)"
fi
