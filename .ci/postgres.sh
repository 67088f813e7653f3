# shellcheck shell=bash
# Start a local PostgreSQL server for partsopt's `postgres` tests and export its URL.
#
# Sourced by .ci/run (`. .ci/postgres.sh`); it can also be run directly
# (`bash .ci/postgres.sh` prints the URL).  Idempotent: installing, creating the
# cluster, starting it, creating the role and the database are each skipped when
# already done.  Works as root with no stdin (Debian/Ubuntu: apt-get postgresql,
# pg_createcluster / pg_ctlcluster).  Only the test database is touched.
#
# Result: PARTSOPT_TEST_POSTGRES_URL=postgresql+psycopg://USER:PW@127.0.0.1:PORT/DB
# Override names with PARTSOPT_PG_USER / PARTSOPT_PG_PASSWORD / PARTSOPT_PG_DB.

_partsopt_pg_setup() {
    local user="${PARTSOPT_PG_USER:-partsopt}"
    local password="${PARTSOPT_PG_PASSWORD:-partsopt}"
    local db="${PARTSOPT_PG_DB:-partsopt_test}"
    local version port status

    local name
    for name in "$user" "$db"; do
        case "$name" in
            ''|[0-9]*|*[!A-Za-z0-9_]*)
                echo "postgres.sh: '$name' is not a plain identifier (letters, digits, _)" >&2
                return 1 ;;
        esac
    done
    case "$password" in
        *"'"*|*'\'*) echo "postgres.sh: the password must not contain quotes or backslashes" >&2; return 1 ;;
    esac

    _pg_as_postgres() {  # run a command as the postgres OS user, from a readable cwd
        if [ "$(id -u)" = "0" ]; then
            (cd / && runuser -u postgres -- "$@")
        else
            (cd / && sudo -n -u postgres -- "$@")
        fi
    }

    # 1. install the server when missing
    if ! command -v pg_ctlcluster >/dev/null 2>&1 \
        || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        echo "postgres.sh: installing PostgreSQL (apt-get)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq </dev/null >&2 || return 1
        apt-get install -y -qq postgresql </dev/null >&2 || return 1
    fi

    # 2. newest installed major version; create its cluster 'main' when missing
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    if [ -z "$version" ]; then
        echo "postgres.sh: no PostgreSQL version found under /usr/lib/postgresql" >&2
        return 1
    fi
    if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
        echo "postgres.sh: creating cluster $version/main" >&2
        pg_createcluster "$version" main </dev/null >&2 || return 1
    fi
    port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
    status="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}')"

    # 3. start it (containers often lack the socket directory)
    install -d -m 2775 -o postgres -g postgres /var/run/postgresql 2>/dev/null || true
    if [ "$status" != "online" ]; then
        echo "postgres.sh: starting cluster $version/main on port $port" >&2
        pg_ctlcluster "$version" main start </dev/null >&2 || return 1
    fi
    local i
    for i in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 1
    done
    pg_isready -q -h 127.0.0.1 -p "$port" || { echo "postgres.sh: server not ready on port $port" >&2; return 1; }

    # 4. role and database (idempotent); the password is (re)set every time
    if [ "$(_pg_as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != "1" ]; then
        _pg_as_postgres psql -q -p "$port" -c "CREATE ROLE \"$user\" LOGIN" >&2 || return 1
    fi
    _pg_as_postgres psql -q -p "$port" -c "ALTER ROLE \"$user\" WITH LOGIN PASSWORD '$password'" >&2 || return 1
    if [ "$(_pg_as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
        _pg_as_postgres createdb -p "$port" -O "$user" "$db" >&2 || return 1
    fi

    export PARTSOPT_TEST_POSTGRES_URL="postgresql+psycopg://$user:$password@127.0.0.1:$port/$db"
    echo "postgres.sh: PostgreSQL $version ready at 127.0.0.1:$port, database $db" >&2
}

_partsopt_pg_status=0
_partsopt_pg_setup || _partsopt_pg_status=$?
unset -f _partsopt_pg_setup _pg_as_postgres
if [ "$_partsopt_pg_status" != "0" ]; then
    # sourced: do not abort the caller (set -e); the postgres tests then fail in CI
    # with their own message.  Executed: exit non-zero.
    echo "postgres.sh: PostgreSQL setup failed; the postgres tests will fail in CI" >&2
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # executed, not sourced
    [ "$_partsopt_pg_status" = "0" ] && echo "$PARTSOPT_TEST_POSTGRES_URL"
    exit "$_partsopt_pg_status"
fi
unset _partsopt_pg_status
