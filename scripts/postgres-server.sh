#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server from the machine's Debian binaries.
# Usage: source scripts/postgres-server.sh; pg_throwaway_start; ...; pg_throwaway_stop
# Sets PG_THROWAWAY_URL. PostgreSQL refuses to run as root, so it runs as `postgres`.

pg_throwaway_bindir() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    echo "PostgreSQL server binaries not found; installing Debian's postgresql package" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

pg_throwaway_start() {
  local bin port
  bin=$(pg_throwaway_bindir)
  PG_THROWAWAY_DIR=$(mktemp -d /tmp/pg-throwaway.XXXXXX)
  port=${PG_THROWAWAY_PORT:-$(( 20000 + RANDOM % 20000 ))}
  local as=()
  if [ "$(id -u)" = "0" ]; then
    chown postgres: "$PG_THROWAWAY_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$PG_THROWAWAY_DIR/data" -A trust -U postgres >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -l "$PG_THROWAWAY_DIR/log" -w start \
    -o "-p $port -k $PG_THROWAWAY_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" >/dev/null
  PG_THROWAWAY_BIN=$bin
  PG_THROWAWAY_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export PG_THROWAWAY_URL PG_THROWAWAY_DIR PG_THROWAWAY_BIN
}

pg_throwaway_stop() {
  [ -n "${PG_THROWAWAY_DIR:-}" ] || return 0
  local as=()
  [ "$(id -u)" = "0" ] && as=(runuser -u postgres --)
  "${as[@]}" "$PG_THROWAWAY_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_THROWAWAY_DIR"
  PG_THROWAWAY_DIR=
}
