#!/usr/bin/env bash
# Makes sure the Debian packages the tests and the real-VS-Code run need are present:
# chromium (webview and end-to-end tests), mosquitto (MQTT tests against a real broker),
# libkrb5-dev (code-server's native modules), libxml2-utils (xmllint: the JUnit report of
# `wirescope test` is validated against the JUnit XSD), redis-server (Redis tests against a real server;
# it brings redis-cli, the tests' peer), nats-server (NATS tests against a real server), dovecot-imapd (IMAP tests against a real server), kcat (Kafka tests: it runs librdkafka's mock cluster and is the tests' Kafka peer), rabbitmq-server (AMQP tests against a throwaway RabbitMQ node; installing it starts no service here), nghttp2-server (nghttpd: HTTP/2 tests against a server Wirescope did not write). As root it installs what is missing with apt-get;
# otherwise it names the command to run. Quiet when everything is there.
set -euo pipefail
need=()
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
[ -x /usr/sbin/nats-server ] || need+=(nats-server)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
[ -x /usr/bin/kcat ] || need+=(kcat)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
[ -x /usr/sbin/nghttpd ] || need+=(nghttp2-server)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "wirescope: missing Debian packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "wirescope: installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
