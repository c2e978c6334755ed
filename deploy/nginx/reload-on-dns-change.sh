#!/bin/sh
# Run by the nginx image's entrypoint (it runs /docker-entrypoint.d/*.sh before nginx starts),
# in Docker Compose and in Kubernetes alike.
#
# nginx looks up the Rasa servers' names once, when it loads its configuration, and a Rasa
# container or pod that is recreated comes back at a new address that nginx would never learn.
# This reloads nginx whenever an upstream name's address changes. The configuration names each
# Rasa server (rather than one name for all) because nginx's consistent hash places a server by
# its configured name: after a reload, a conversation still goes to the server of the same name.
set -u
CONF=${NGINX_CONF:-/etc/nginx/nginx.conf}
INTERVAL=${DNS_CHECK_SECONDS:-5}
WAIT=${DNS_WAIT_SECONDS:-180}

names() {
    sed -n 's/^[[:space:]]*server[[:space:]][[:space:]]*\([^[:space:];:]*\):[0-9][0-9]*.*/\1/p' "$CONF"
}

addresses() {
    for name in $(names); do
        echo "$name $(getent hosts "$name" | cut -d' ' -f1 | sort | tr '\n' ' ')"
    done
}

all_resolve() {
    for name in $(names); do
        getent hosts "$name" >/dev/null || return 1
    done
}

# nginx refuses to start while an upstream name does not resolve (a pod not yet scheduled), so
# give the servers a while; after that nginx starts anyway and says which name failed.
waited=0
until all_resolve || [ "$waited" -ge "$WAIT" ]; do
    sleep 1
    waited=$((waited + 1))
done

(
    last=$(addresses)
    while sleep "$INTERVAL"; do
        now=$(addresses)
        # A name that stopped resolving belongs to a server that is down anyway; reloading then
        # would only fail, so wait until it is back under its new address.
        if [ "$now" != "$last" ] && all_resolve; then
            echo "reload-on-dns-change: Rasa server addresses changed, reloading nginx" >&2
            nginx -s reload && last=$now
        fi
    done
) &
