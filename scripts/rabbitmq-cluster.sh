#!/usr/bin/env bash
# A local three-node RabbitMQ cluster for the cluster tests (test/cluster/) and `npm run chaos -- --cluster`,
# beside the machine's own broker (rabbit@localhost on 5672, left alone):
#
#   scripts/rabbitmq-cluster.sh start    # idempotent: starts what is down, joins what is not clustered
#   scripts/rabbitmq-cluster.sh status   # exit 0 when all three nodes run, clustered
#   scripts/rabbitmq-cluster.sh stop     # shuts the nodes down and deletes their data
#
#   node                AMQP                     TLS                                             dist
#   rabbit-1@localhost  127.0.0.1:5681   127.0.0.1:5671  server.pem, client certificate optional  25681
#   rabbit-2@localhost  127.0.0.1:5682   127.0.0.1:5692  server.pem, client certificate required  25682
#   rabbit-3@localhost  127.0.0.1:5683   127.0.0.1:5693  expired.pem (an expired certificate)     25683
#
# Each node is started as the machine's broker is (`rabbitmq-server -detached`, run as the rabbitmq user
# by the Debian wrapper) with its own RABBITMQ_NODENAME, config file, data, log and plugins files under
# $RX_PUBSUB_CLUSTER_DIR (default /tmp/rx-pubsub-cluster), and the machine's Erlang cookie
# (/var/lib/rabbitmq/.erlang.cookie), which rabbitmqctl uses too. Nodes 2 and 3 join_cluster node 1.
# TLS material comes from scripts/tls-certs.sh (in $RX_PUBSUB_CLUSTER_DIR/tls); the EXTERNAL login
# (rabbitmq_auth_mechanism_ssl) maps the client certificate's CN to the user rx-pubsub-client.
# Run as root (or as rabbitmq).
set -euo pipefail

BASE=${RX_PUBSUB_CLUSTER_DIR:-/tmp/rx-pubsub-cluster}
SCRIPTS=$(cd "$(dirname "$0")" && pwd)
NODES=(1 2 3)
STARTUP_TIMEOUT_S=${RX_PUBSUB_CLUSTER_TIMEOUT_S:-120}
EXTERNAL_USER=rx-pubsub-client

node() { echo "rabbit-$1@localhost"; }
ctl() { # ctl N ARGS...: rabbitmqctl on node N, bounded
  local n=$1
  shift
  timeout 60 rabbitmqctl -q -n "$(node "$n")" "$@"
}
log() { echo "rabbitmq-cluster: $*" >&2; }

tls_config() {
  local n=$1 port cert verify_fail
  case $n in
  1) port=5671 cert=server verify_fail=false ;;
  2) port=5692 cert=server verify_fail=true ;;
  3) port=5693 cert=expired verify_fail=false ;;
  esac
  cat <<EOF
listeners.ssl.local = 127.0.0.1:$port
ssl_options.cacertfile = $BASE/tls/ca.pem
ssl_options.certfile = $BASE/tls/$cert.pem
ssl_options.keyfile = $BASE/tls/$cert.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = $verify_fail
EOF
}

write_node_files() {
  local n=$1 dir=$BASE/rabbit-$1
  mkdir -p "$dir/mnesia" "$dir/log"
  {
    echo "listeners.tcp.local = 127.0.0.1:$((5680 + n))"
    tls_config "$n"
    cat <<EOF
auth_mechanisms.1 = PLAIN
auth_mechanisms.2 = AMQPLAIN
auth_mechanisms.3 = EXTERNAL
ssl_cert_login_from = common_name
EOF
  } >"$dir/rabbitmq.conf"
  echo '[rabbitmq_auth_mechanism_ssl].' >"$dir/enabled_plugins"
}

start_node() {
  local n=$1 dir=$BASE/rabbit-$1
  log "starting $(node "$n")"
  # One scheduler each: three extra VMs share two cores with everything else.
  (cd / && env RABBITMQ_NODENAME="$(node "$n")" \
    RABBITMQ_NODE_PORT=$((5680 + n)) \
    RABBITMQ_DIST_PORT=$((25680 + n)) \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_PID_FILE="$dir/rabbit.pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 1:1 +SDio 2" \
    rabbitmq-server -detached)
}

wait_for_node() { # polls ping until the VM answers, then await_startup
  local n=$1 deadline=$((SECONDS + STARTUP_TIMEOUT_S))
  until ctl "$n" ping >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$(node "$n") did not answer ping within ${STARTUP_TIMEOUT_S} s; see $BASE/rabbit-$n/log"
      return 1
    fi
    sleep 1
  done
  quietly ctl "$n" start_app # a no-op unless a test left the application stopped
  if ! quietly timeout "$STARTUP_TIMEOUT_S" rabbitmqctl -q -n "$(node "$n")" await_startup; then
    log "$(node "$n") did not finish booting within ${STARTUP_TIMEOUT_S} s; see $BASE/rabbit-$n/log"
    return 1
  fi
}

clustered() { # clustered N: node N counts node 1 among its cluster's disc nodes
  ctl "$1" cluster_status --formatter json 2>/dev/null | grep -q "\"$(node 1)\""
}

quietly() { # runs a command, printing its output only when it fails (the CLI logs the peers' boot to stderr)
  local out
  if ! out=$("$@" 2>&1); then
    log "\`$*\` failed:"
    echo "$out" >&2
    return 1
  fi
}

join() {
  local n=$1
  log "$(node "$n") joins $(node 1)"
  quietly ctl "$n" stop_app
  quietly ctl "$n" reset
  quietly ctl "$n" join_cluster "$(node 1)"
  quietly ctl "$n" start_app
  quietly timeout "$STARTUP_TIMEOUT_S" rabbitmqctl -q -n "$(node "$n")" await_startup
}

ensure_external_user() {
  if ! ctl 1 list_users --formatter json | grep -q "\"$EXTERNAL_USER\""; then
    quietly ctl 1 add_user "$EXTERNAL_USER" "$(head -c 24 /dev/urandom | base64)"
    quietly ctl 1 clear_password "$EXTERNAL_USER" # logs in only with its certificate (EXTERNAL)
  fi
  quietly ctl 1 set_permissions -p / "$EXTERNAL_USER" '.*' '.*' '.*'
}

start() {
  command -v rabbitmq-server >/dev/null || {
    log "rabbitmq-server is not installed: the cluster tests need a local RabbitMQ installation"
    exit 1
  }
  local certs
  certs=$("$SCRIPTS/tls-certs.sh" "$BASE/tls")
  for n in "${NODES[@]}"; do write_node_files "$n"; done
  chown -R rabbitmq:rabbitmq "$BASE" 2>/dev/null || true
  for n in "${NODES[@]}"; do
    if ! ctl "$n" ping >/dev/null 2>&1; then
      start_node "$n"
    elif [[ $certs == generated ]]; then
      quietly ctl "$n" eval 'ssl:clear_pem_cache().' # a running node's TLS listener reads the new files
    fi
  done
  local pids=()
  for n in "${NODES[@]}"; do
    wait_for_node "$n" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  for n in 2 3; do clustered "$n" || join "$n"; done
  ensure_external_user
  status
}

status() {
  local ok=0 running
  running=$(ctl 1 cluster_status --formatter json 2>/dev/null || true)
  for n in "${NODES[@]}"; do
    if ! ctl "$n" ping >/dev/null 2>&1; then
      echo "$(node "$n"): down"
      ok=1
    elif ! grep -q "\"running_nodes\":\[[^]]*\"$(node "$n")\"" <<<"$running"; then
      echo "$(node "$n"): up, application stopped or not clustered"
      ok=1
    else
      echo "$(node "$n"): running, clustered (AMQP 127.0.0.1:$((5680 + n)))"
    fi
  done
  return $ok
}

stop() {
  local pids=()
  for n in "${NODES[@]}"; do
    if ctl "$n" ping >/dev/null 2>&1; then
      log "shutting down $(node "$n")"
      ctl "$n" shutdown >/dev/null &
      pids+=($!)
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  rm -rf "$BASE"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
