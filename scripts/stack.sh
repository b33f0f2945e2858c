#!/usr/bin/env bash
# The production shape of docker-compose.yml, natively: local PostgreSQL, a local Rasa server,
# `charterdesk migrate`, then `charterdesk bot` (webhook mode when WEBHOOK_URL is set) and
# `charterdesk scheduler`. Ctrl-C or SIGTERM stops every process it started; if one of them
# exits on its own, the others are stopped too and the script exits 1.
#
#   scripts/stack.sh            # settings from the environment and ./.env, like any charterdesk process
#
# DATABASE_URL   default postgresql+asyncpg://postgres@127.0.0.1:5432/charterdesk (create it first:
#                createdb -h 127.0.0.1 -U postgres charterdesk)
# RASA_URL       a Rasa server to use; unset = start `charterdesk nlu rasa serve` on STACK_RASA_PORT
#                (default 5005; the first run builds its venv and model under ~/.cache/charterdesk)
# STACK_RASA=off  no Rasa at all: the embedded classifier answers
# STACK_RASA_START_SECONDS  how long to wait for Rasa to serve (default 3600: a cold first run trains)
# STACK_LOG_DIR  if set, each process writes to STACK_LOG_DIR/<name>.log instead of this terminal
# CHARTERDESK_BIN  the charterdesk command (default: the repository's .venv, else PATH)
set -euo pipefail
if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 501)); then
  echo "scripts/stack.sh needs bash 5.1 or newer (wait -n -p); this is $BASH_VERSION" >&2; exit 2
fi

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STOP_GRACE_SECONDS=30
RASA_START_SECONDS="${STACK_RASA_START_SECONDS:-3600}"  # a cold machine installs Rasa and trains first

if [ -z "${CHARTERDESK_BIN:-}" ]; then
  if [ -x "$ROOT/.venv/bin/charterdesk" ]; then CHARTERDESK_BIN="$ROOT/.venv/bin/charterdesk"; else CHARTERDESK_BIN=charterdesk; fi
fi
if [ -f .env ]; then
  # The same .env the processes read, so the defaults below never override what it says.
  set -a; . ./.env; set +a
fi
export DATABASE_URL="${DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/charterdesk}"

declare -A PIDS=()   # name -> pid of every process started here

say() { printf '%s stack: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

start() {  # start NAME COMMAND...: in the background, in its own process group
  local name="$1"; shift
  # Job control on while forking: the process gets its own group, so a terminal's Ctrl-C reaches
  # only this script, which then stops everything in order (and no child starts with SIGINT ignored).
  set -m
  if [ -n "${STACK_LOG_DIR:-}" ]; then
    mkdir -p "$STACK_LOG_DIR"
    "$@" >>"$STACK_LOG_DIR/$name.log" 2>&1 &
  else
    "$@" &
  fi
  PIDS[$name]=$!
  set +m  # off again: no "Terminated" job notices on stop
  say "started $name (pid ${PIDS[$name]})"
}

stop_all() {  # SIGTERM to every process group, SIGKILL to what is left after the grace period
  local name pid waited=0
  for name in "${!PIDS[@]}"; do
    pid="${PIDS[$name]}"
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for name in "${!PIDS[@]}"; do
    pid="${PIDS[$name]}"
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((STOP_GRACE_SECONDS * 10)) ]; do
      sleep 0.1; waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name did not stop within ${STOP_GRACE_SECONDS} s: killing it"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

on_signal() {
  trap - INT TERM
  say "stopping (${!PIDS[*]})"
  stop_all
  say "stopped"
  exit 0
}
trap on_signal INT TERM

alive() { kill -0 "${PIDS[$1]}" 2>/dev/null; }

wait_for_rasa() {  # until GET /status names a loaded model, while the server process lives
  local url="$1" started=$SECONDS
  until curl -fsS --max-time 2 "$url/status" 2>/dev/null | grep -q '"model_file"'; do
    if ! alive rasa; then say "Rasa exited before it was ready"; stop_all; exit 1; fi
    if [ $((SECONDS - started)) -gt "$RASA_START_SECONDS" ]; then
      say "Rasa did not answer at $url within $RASA_START_SECONDS s"; stop_all; exit 1
    fi
    sleep 1
  done
  say "Rasa ready at $url"
}

case "$DATABASE_URL" in
  postgresql*) ;;
  *) say "DATABASE_URL is not PostgreSQL ($DATABASE_URL): the stack runs against a PostgreSQL server" ;;
esac

if [ "${STACK_RASA:-on}" = off ]; then
  unset RASA_URL
  say "STACK_RASA=off: the embedded classifier, no Rasa"
elif [ -z "${RASA_URL:-}" ]; then
  port="${STACK_RASA_PORT:-5005}"
  start rasa "$CHARTERDESK_BIN" nlu rasa serve --port "$port"
  export RASA_URL="http://127.0.0.1:$port"
  wait_for_rasa "$RASA_URL"
else
  say "using the Rasa server at $RASA_URL"
fi

say "migrating the database"
if ! "$CHARTERDESK_BIN" migrate; then
  say "migrations failed"; stop_all; exit 1
fi

if [ -z "${WEBHOOK_URL:-}" ]; then
  say "WEBHOOK_URL is not set: the bot polls instead of taking webhooks"
fi
start bot "$CHARTERDESK_BIN" bot
start scheduler "$CHARTERDESK_BIN" scheduler

# Until a signal (trap above) or until any process exits on its own.
set +e
wait -n -p ended
status=$?
set -e
for name in "${!PIDS[@]}"; do
  [ "${PIDS[$name]}" = "${ended:-}" ] && say "$name exited (status $status): stopping the others"
done
trap - INT TERM
stop_all
exit 1
