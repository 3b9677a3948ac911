#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and ChromaDB servers on loopback, for memctx's PostgreSQL and ChromaDB tests.
#
#   scripts/dev-services.sh start    # install what is missing, start both (or reuse running ones), print the env
#   scripts/dev-services.sh env      # print the env of the running services (exit 1 if they are not running)
#   scripts/dev-services.sh status   # say whether each one answers (exit 0 only if both do)
#   scripts/dev-services.sh stop     # stop both and delete their state (data, logs, ports)
#
# Faults, for tests of offline fallback and sync (the data is kept; the ports stay the same):
#   scripts/dev-services.sh pg-kill       # stop PostgreSQL at once (pg_ctl -m immediate)
#   scripts/dev-services.sh pg-pause      # SIGSTOP every PostgreSQL process: it accepts TCP but never answers
#   scripts/dev-services.sh pg-resume     # SIGCONT them
#   scripts/dev-services.sh chroma-kill   # SIGKILL ChromaDB
#   scripts/dev-services.sh restart       # start whichever of the two is not running, and wait for both
#
#   eval "$(scripts/dev-services.sh start)" && swift test --filter PostgresStorageTests
#
# stdout carries only `export NAME='value'` lines (MEMCTX_DATABASE_URL, MEMCTX_CHROMA_URL); messages go to
# stderr. Both servers listen on 127.0.0.1 only, on free ports chosen at the first start, and run detached
# (their own session, no inherited descriptors) so they outlive this script; `stop` ends them.
#
# State (data, logs, pids, ports) is in MEMCTX_SERVICES_DIR, default ${TMPDIR:-/tmp}/memctx-services-$UID.
# The chromadb venv is MEMCTX_CHROMA_VENV, default ${XDG_CACHE_HOME:-~/.cache}/memctx/chroma-venv (kept by stop).
# Installs when missing: Debian's postgresql-15 (and curl, python3-venv) with apt-get, via sudo when not root;
# chromadb==1.5.9 from PyPI with pip --no-deps (the server is its Rust extension; ~25 MB, ~2 s).
# PostgreSQL: database memctx, user postgres (password checked: scram-sha-256 over TCP), extensions pg_trgm, uuid-ossp and pgcrypto,
# fsync off (test use only; a killed server still keeps every commit it acknowledged, since synchronous_commit
# stays on and the OS keeps the written WAL: the fault tests rely on that). As root, initdb and pg_ctl run as the postgres OS user (initdb refuses root).
set -euo pipefail

pg_version=15
chroma_version=1.5.9
pg_db=memctx
pg_user=postgres
pg_password=postgres
pg_extensions=(pg_trgm uuid-ossp pgcrypto)
pg_bin="${MEMCTX_PG_BINDIR:-/usr/lib/postgresql/$pg_version/bin}"

state="$(realpath -m "${MEMCTX_SERVICES_DIR:-${TMPDIR:-/tmp}/memctx-services-$UID}")"
cache="$(realpath -m "${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/memctx")"
venv="$(realpath -m "${MEMCTX_CHROMA_VENV:-$cache/chroma-venv}")"
ports_file="$state/ports"
env_file="$state/env"
pg_dir="$state/pg"
pg_data="$pg_dir/data"
pg_log="$pg_dir/server.log"
chroma_dir="$state/chroma"
chroma_data="$chroma_dir/data"
chroma_log="$chroma_dir/server.log"
chroma_pidfile="$chroma_dir/server.pid"
pg_port=""
chroma_port=""

say() { printf 'dev-services: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }
show_log() {  # show_log FILE: the tail of a service's log, on stderr
    if [ -s "$1" ]; then
        say "last lines of $1:"
        tail -n 30 "$1" | sed 's/^/    /' >&2
    else
        say "($1 is empty or missing)"
    fi
}
micros() { local t="${EPOCHREALTIME/[.,]/}"; echo "${t#0}"; }
started_at="$(micros)"
elapsed() { local us=$(($(micros) - started_at)); printf '%d.%d s' $((us / 1000000)) $((us / 100000 % 10)); }

pid_alive() {  # running and not a zombie (PID 1 on these machines can leave killed processes as zombies for a while)
    local stat
    [ -n "${1:-}" ] && stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [ "${stat%% *}" != Z ]
}

as_owner() {  # the cluster owner runs initdb and pg_ctl: the postgres OS user when we are root, else us
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

detached() {  # run "$@" in a new session holding only stdin, stdout and stderr (the caller redirects those):
    # an inherited lock descriptor would block the next start, an inherited pipe would hang `$(... start)`
    local fd
    for fd in /proc/self/fd/*; do
        fd="${fd##*/}"
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$@"
}

load_ports() {  # the ports chosen by the first start, if any
    local key value
    pg_port=""
    chroma_port=""
    [ -f "$ports_file" ] || return 0
    while IFS='=' read -r key value; do
        [[ "$value" =~ ^[0-9]+$ ]] || continue
        case "$key" in
            pg_port) pg_port="$value" ;;
            chroma_port) chroma_port="$value" ;;
        esac
    done <"$ports_file"
}

save_ports() { printf 'pg_port=%s\nchroma_port=%s\n' "$pg_port" "$chroma_port" >"$ports_file.tmp" && mv "$ports_file.tmp" "$ports_file"; }

env_lines() {
    printf "export MEMCTX_DATABASE_URL='postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable'\n" \
        "$pg_user" "$pg_password" "$pg_port" "$pg_db"
    printf "export MEMCTX_CHROMA_URL='http://127.0.0.1:%s'\n" "$chroma_port"
}

# --- PostgreSQL ---

pg_pid() { local pid=""; [ -f "$pg_data/postmaster.pid" ] && read -r pid <"$pg_data/postmaster.pid" 2>/dev/null; echo "$pid"; }
pg_running() {  # our postmaster (by its pid file) is alive
    local pid
    pid="$(pg_pid)"
    pid_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]
}
pg_ready() {
    [ -n "$pg_port" ] && [ -x "$pg_bin/pg_isready" ] &&
        "$pg_bin/pg_isready" -q -t 2 -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres
}
psql_su() { PGPASSWORD="$pg_password" "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U "$pg_user" "$@"; }

pg_stop() {
    local pid
    pid="$(pg_pid)"
    pg_running || return 0
    # immediate: the data is thrown away anyway
    as_owner "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    if pid_alive "$pid"; then
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
        if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
}

pg_launch() {  # initdb once, then start the server; returns non-zero (log in $pg_log) on failure
    if [ ! -f "$pg_data/PG_VERSION" ]; then
        rm -rf "$pg_data"
        # Passwords are checked over TCP (scram-sha-256), so tests of a wrong password mean something.
        printf '%s\n' "$pg_password" >"$pg_dir/pwfile"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$pg_dir/pwfile"
        as_owner "$pg_bin/initdb" -D "$pg_data" -U "$pg_user" --auth-local=trust --auth-host=scram-sha-256 \
            --pwfile="$pg_dir/pwfile" --no-sync --no-instructions \
            -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 || {
            say "PostgreSQL: initdb failed"
            show_log "$pg_dir/initdb.log"
            exit 1
        }
    fi
    # a killed server's pid may linger as a zombie, and its lock file then blocks the start
    rm -f "$pg_data/postmaster.pid"
    local owner=()
    if [ "$(id -u)" -eq 0 ]; then owner=(runuser -u postgres --); fi
    (detached "${owner[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_log" -w -t 60 -o "-c listen_addresses=127.0.0.1 \
-c port=$pg_port -c unix_socket_directories='' -c fsync=off -c synchronous_commit=on -c full_page_writes=off \
-c max_connections=200" start) </dev/null >"$pg_dir/pg_ctl.log" 2>&1
}

pg_start() {
    if pg_running; then
        local deadline=$((SECONDS + 60))
        while ((SECONDS < deadline)); do pg_ready && break; pg_running || break; sleep 0.1; done
        pg_ready && return 0
        say "PostgreSQL: a server from an earlier start runs but does not answer; restarting it"
        pg_stop
    fi
    mkdir -p "$pg_dir"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || fail "PostgreSQL: no 'postgres' OS user to run the server as root (reinstall postgresql-$pg_version)"
        chown postgres: "$pg_dir"
        runuser -u postgres -- test -w "$pg_dir" ||
            fail "PostgreSQL: the postgres OS user cannot reach $pg_dir; set MEMCTX_SERVICES_DIR to a directory under /tmp"
    fi
    chmod 700 "$pg_dir"
    local attempt
    for attempt in 1 2 3; do
        if port_taken "$pg_port"; then pg_port="$(free_ports 1)"; save_ports; fi
        : >"$pg_log"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$pg_log"
        if pg_launch && pg_ready; then return 0; fi
        pg_stop
        # somebody took the port between our choice and the server's bind: choose again
        grep -q 'already in use' "$pg_log" 2>/dev/null && [ "$attempt" -lt 3 ] && { pg_port=""; continue; }
        break
    done
    say "PostgreSQL $pg_version did not start on 127.0.0.1:$pg_port"
    show_log "$pg_dir/pg_ctl.log"
    show_log "$pg_log"
    say "(scripts/dev-services.sh stop ends whatever did start)"
    exit 1
}

pg_setup() {  # database and extensions (idempotent)
    local ext extensions=""
    for ext in "${pg_extensions[@]}"; do extensions+="CREATE EXTENSION IF NOT EXISTS \"$ext\";"$'\n'; done
    {
        psql_su -d postgres <<SQL &&
ALTER USER "$pg_user" PASSWORD '$pg_password';
SELECT 'CREATE DATABASE "$pg_db"' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$pg_db') \gexec
SQL
            psql_su -d "$pg_db" <<SQL
SET client_min_messages TO warning;
$extensions
SQL
    } >"$pg_dir/setup.log" 2>&1 || {
        say "PostgreSQL: creating database $pg_db or its extensions (${pg_extensions[*]}) failed"
        show_log "$pg_dir/setup.log"
        exit 1
    }
}

# --- ChromaDB ---

chroma_pid() { local pid=""; [ -f "$chroma_pidfile" ] && read -r pid <"$chroma_pidfile" 2>/dev/null; echo "$pid"; }
chroma_running() {  # our server (by its pid file) is alive
    local pid cmdline
    pid="$(chroma_pid)"
    pid_alive "$pid" && cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" &&
        [[ "$cmdline" == *chromadb_rust_bindings* ]]
}
chroma_beat() {
    [ -n "$chroma_port" ] && curl -sf --max-time 2 "http://127.0.0.1:$chroma_port/api/v2/heartbeat" >/dev/null 2>&1
}

chroma_stop() {
    local pid
    pid="$(chroma_pid)"
    if chroma_running; then
        kill -TERM "$pid" 2>/dev/null || true  # graceful shutdown takes < 0.2 s
        for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
        if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$chroma_pidfile"
}

chroma_wal() {  # put ChromaDB's SQLite file in WAL mode (persistent in the file; Chroma opens it as it finds it)
    # Chroma 1.5.9 leaves SQLite's default rollback journal: every write commit then syncs the journal and the
    # database. In WAL mode a commit syncs the WAL once, just as durable: one upsert p50 10.2 -> 7.3 ms here.
    # Run only while the server is down (a first start creates the file here, before Chroma migrates it).
    "$venv/bin/python" -c '
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=5)
mode = connection.execute("pragma journal_mode=wal").fetchone()[0]
connection.close()
sys.exit(0 if mode == "wal" else 1)
' "$chroma_data/chroma.sqlite3" || say "ChromaDB: could not put chroma.sqlite3 in WAL mode (writes will be slower)"
}

chroma_launch() {  # in the background; chroma_wait tells whether it came up
    mkdir -p "$chroma_data"
    chroma_wal
    (detached env ANONYMIZED_TELEMETRY=False "$venv/bin/python" -c '
import sys, chromadb_rust_bindings as c
c.cli(["chroma", "run", "--path", sys.argv[1], "--host", "127.0.0.1", "--port", sys.argv[2]])
' "$chroma_data" "$chroma_port") </dev/null >"$chroma_log" 2>&1 &
    echo $! >"$chroma_pidfile"  # the subshell execs setsid, env, python: the same pid
}

chroma_wait() {  # up to 30 s for the first heartbeat (typically 0.2 s)
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        chroma_beat && return 0
        chroma_running || return 1
        sleep 0.1
    done
    return 1
}

chroma_start_begin() {  # launches unless ours already runs; chroma_start_end waits
    chroma_relaunches=0
    if chroma_running; then return 0; fi
    rm -f "$chroma_pidfile"
    mkdir -p "$chroma_dir"
    if port_taken "$chroma_port"; then chroma_port="$(free_ports 1)"; save_ports; fi
    chroma_launch
}

chroma_start_end() {
    while true; do
        chroma_wait && return 0
        chroma_stop
        # somebody took the port between our choice and the server's bind ("Address ... is not available"): choose again
        if grep -qiE 'not available|in use' "$chroma_log" 2>/dev/null && [ "$chroma_relaunches" -lt 2 ]; then
            chroma_relaunches=$((chroma_relaunches + 1))
            chroma_port="$(free_ports 1)"
            save_ports
            chroma_launch
            continue
        fi
        say "ChromaDB $chroma_version did not start on 127.0.0.1:$chroma_port"
        show_log "$chroma_log"
        say "(scripts/dev-services.sh stop ends whatever did start)"
        exit 1
    done
}

# --- installation ---

apt_install() {  # apt_install PACKAGE...: with apt-get, via sudo when not root (like scripts/setup.sh)
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || fail "need root or sudo to install: $*"
        sudo="sudo"
    fi
    say "installing $* (apt-get)"
    $sudo apt-get update -qq >&2 || fail "apt-get update failed"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ||
        fail "apt-get install $* failed"
}

python_for_venv() { if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi; }

have_chroma() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" - "$chroma_version" <<'PY' 2>/dev/null
import sys, importlib.metadata as m
import chromadb_rust_bindings
sys.exit(0 if m.version("chromadb") == sys.argv[1] else 1)
PY
}

install_missing() {
    local missing=()
    [ -x "$pg_bin/initdb" ] || missing+=("postgresql-$pg_version")
    command -v curl >/dev/null || missing+=(curl)
    [ -n "$(python_for_venv)" ] || missing+=(python3 python3-venv)
    if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
    [ -x "$pg_bin/initdb" ] || fail "no initdb in $pg_bin after installing postgresql-$pg_version"

    have_chroma && return 0
    local python
    python="$(python_for_venv)"
    say "installing chromadb $chroma_version (server only) into $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install python3-venv
        "$python" -m venv "$venv" >&2 || { rm -rf "$venv"; fail "$python -m venv $venv failed"; }
    fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "chromadb==$chroma_version" >&2 ||
        { rm -rf "$venv"; fail "pip install chromadb==$chroma_version failed"; }
    have_chroma || { rm -rf "$venv"; fail "chromadb $chroma_version installed but its server module does not load"; }
}

port_taken() {  # empty, or something listens on / holds 127.0.0.1:PORT
    [ -n "${1:-}" ] || return 0
    ! "$venv/bin/python" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))
' "$1" 2>/dev/null
}

free_ports() {  # free_ports N: N distinct ports the kernel has free on 127.0.0.1 now
    "$venv/bin/python" -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# --- commands ---

both_answer() { pg_running && pg_ready && chroma_running && chroma_beat; }

lock() {  # one start/stop at a time per state directory; the lock file outlives `stop` on purpose
    mkdir -p "$(dirname "$state")"
    exec 9>>"$state.lock" || fail "cannot open lock file $state.lock"
    flock 9
}

cmd_start() {
    exec 3>&1 1>&2  # stdout is for the env lines only (fd 3); detached servers close fd 3
    lock
    if [ -e "$state" ] && [ ! -O "$state" ]; then fail "$state exists and is not ours; set MEMCTX_SERVICES_DIR"; fi
    load_ports
    if [ -s "$env_file" ] && both_answer; then
        cat "$env_file" >&3
        say "services already running (state in $state)"
        return 0
    fi
    cd /  # the postgres OS user cannot enter every directory (e.g. /root)
    ( umask 077; mkdir -p "$cache" )
    exec 8>>"$cache/install.lock" && flock 8  # installs are shared by every state directory
    install_missing
    exec 8>&-
    mkdir -p "$state"
    chmod 711 "$state"  # the postgres OS user traverses it when we are root
    if [ -z "$pg_port" ] || [ -z "$chroma_port" ]; then
        read -r pg_port chroma_port <<<"$(free_ports 2)"
        save_ports
    fi
    chroma_start_begin
    pg_start
    pg_setup
    chroma_start_end
    env_lines >"$env_file.tmp" && mv "$env_file.tmp" "$env_file"
    cat "$env_file" >&3
    say "PostgreSQL $pg_version on 127.0.0.1:$pg_port, ChromaDB $chroma_version on 127.0.0.1:$chroma_port (ready in $(elapsed); state and logs in $state)"
}

cmd_stop() {
    lock
    if [ ! -e "$state" ]; then say "nothing to stop ($state does not exist)"; return 0; fi
    [ -O "$state" ] || fail "$state is not ours; not touching it"
    chroma_stop
    pg_stop
    if pg_running; then fail "PostgreSQL (pid $(pg_pid)) did not stop; $state kept"; fi
    rm -rf "$state"
    say "stopped; removed $state"
}

pg_processes() {  # the postmaster and its children
    local pid
    pid="$(pg_pid)"
    [ -n "$pid" ] || return 0
    echo "$pid"
    pgrep -P "$pid" || true
}

cmd_fault() {
    lock
    load_ports
    case "$1" in
        pg-kill)
            pg_running || fail "PostgreSQL is not running"
            as_owner "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w -t 30 stop >/dev/null 2>&1 || pg_stop
            say "PostgreSQL stopped (immediate)"
            ;;
        pg-pause)
            pg_running || fail "PostgreSQL is not running"
            # children first, so the postmaster cannot notice and restart them
            # (a backend may end between listing and signalling it: that is not a failure)
            pg_processes | tac | xargs -r kill -STOP 2>/dev/null || true
            say "PostgreSQL paused (SIGSTOP)"
            ;;
        pg-resume)
            pg_processes | xargs -r kill -CONT 2>/dev/null || true
            say "PostgreSQL resumed (SIGCONT)"
            ;;
        chroma-kill)
            chroma_running || fail "ChromaDB is not running"
            kill -KILL "$(chroma_pid)"
            for _ in $(seq 1 50); do chroma_running || break; sleep 0.1; done
            rm -f "$chroma_pidfile"
            say "ChromaDB killed (SIGKILL)"
            ;;
        restart)
            [ -n "$pg_port" ] && [ -n "$chroma_port" ] || fail "services were never started here (scripts/dev-services.sh start)"
            cd /
            chroma_start_begin
            pg_start
            chroma_start_end
            say "both answer again"
            ;;
    esac
}

cmd_status() {
    local ok=0
    load_ports
    if pg_running && pg_ready; then
        echo "postgres: answering on 127.0.0.1:$pg_port (pid $(pg_pid); log $pg_log)"
    elif pg_running; then
        echo "postgres: running (pid $(pg_pid)) but not answering on 127.0.0.1:${pg_port:-?}; log $pg_log"
        ok=1
    else
        echo "postgres: not running"
        ok=1
    fi
    if chroma_running && chroma_beat; then
        echo "chroma: answering on 127.0.0.1:$chroma_port (pid $(chroma_pid); log $chroma_log)"
    elif chroma_running; then
        echo "chroma: running (pid $(chroma_pid)) but not answering on 127.0.0.1:${chroma_port:-?}; log $chroma_log"
        ok=1
    else
        echo "chroma: not running"
        ok=1
    fi
    return "$ok"
}

cmd_env() {
    load_ports
    if [ -s "$env_file" ] && both_answer; then
        cat "$env_file"
    else
        fail "services not running (start them with scripts/dev-services.sh start)"
    fi
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    pg-kill | pg-pause | pg-resume | chroma-kill | restart) cmd_fault "$1" ;;
    -h | --help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) say "usage: $0 start|stop|status|env|pg-kill|pg-pause|pg-resume|chroma-kill|restart (see --help)"; exit 2 ;;
esac
