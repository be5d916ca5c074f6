#!/usr/bin/env bash
# A Docker engine for the container tests: `start` starts Debian's dockerd when it is installed and no engine answers
# (recording that we started it), `stop` stops it again only if `start` started it, `status` says which.
# Prints one line saying what it did. Never fails the caller for a missing engine: the container tests skip, saying
# why (the reason is also written to $DPCLAB_STATE/engine-problem for them).
set -euo pipefail

state=${DPCLAB_DOCKER_STATE:-/var/lib/dpclab-docker}
started_marker=$state/engine.started-by-dpclab
pidfile=$state/dockerd.pid
log=$state/dockerd.log
problem_file=$state/engine-problem

answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

note_problem() {
  echo "docker engine: $1" >&2
  if mkdir -p "$state" 2>/dev/null; then echo "$1" >"$problem_file" 2>/dev/null || true; fi
}

start() {
  if ! command -v docker >/dev/null 2>&1; then
    note_problem "no docker CLI (apt-get install docker.io); the container tests will skip"
    return 0
  fi
  if answers; then
    rm -f "$problem_file" 2>/dev/null || true
    echo "docker engine: one already answers ($(docker info --format '{{.ServerVersion}}' 2>/dev/null)); using it" >&2
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    note_problem "no engine answers and dockerd is not installed (apt-get install docker.io); the container tests will skip"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    note_problem "no engine answers and starting dockerd needs root; the container tests will skip"
    return 0
  fi
  mkdir -p "$state/engine"
  # A dockerd we started earlier and that no longer answers (killed, crashed): clear its stale pid files.
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  echo "docker engine: starting dockerd (data root $state/engine, log $log)…" >&2
  # setsid: the engine outlives this script (the test command stops it after the suite); its output goes to the log.
  setsid dockerd --data-root "$state/engine" --pidfile "$pidfile" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$started_marker"
  for _ in $(seq 1 60); do
    if answers; then
      rm -f "$problem_file"
      echo "docker engine: dockerd $(docker info --format '{{.ServerVersion}}') started (pid $pid)" >&2
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  rm -f "$started_marker"
  note_problem "dockerd did not come up ($(tail -n 1 "$log" 2>/dev/null | cut -c1-200)); the container tests will skip"
  return 0
}

stop() {
  if [ ! -f "$started_marker" ]; then
    return 0
  fi
  local pid
  pid=$(cat "$started_marker")
  rm -f "$started_marker"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "docker engine: stopped the dockerd we started (pid $pid)" >&2
  fi
}

status() {
  if answers; then
    if [ -f "$started_marker" ]; then echo "running (started by dpclab, pid $(cat "$started_marker"))"; else echo "running (not ours)"; fi
  else
    echo "not running${problem_file:+: $(cat "$problem_file" 2>/dev/null || true)}"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: scripts/docker-engine.sh start|stop|status" >&2
    exit 2
    ;;
esac
