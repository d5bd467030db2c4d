#!/bin/sh
# converge-cloud-failover CONFIG
#
# Installed by converge (@converge/keepalived, module keepalived.failover) as keepalived's
# notify_master hook: moves a cloud provider's failover address (OVHcloud failover/additional
# IP, Scaleway flexible IP) to this host, through the provider's API, when this host becomes
# VRRP master. CONFIG (root-only, 0600) holds KEY=VALUE lines:
#   AUTH            ovh (signed request, X-Ovh-* headers) or scaleway (X-Auth-Token)
#   ENDPOINT        API base URL, e.g. https://eu.api.ovh.com/1.0 or https://api.scaleway.com
#   OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY   (AUTH=ovh)
#   SCW_SECRET_KEY  (AUTH=scaleway)
#   CHECK_PATH      optional GET whose answer shows where the address is routed ...
#   CHECK_MATCH     ... and the text (spaces removed) that means "already here": nothing to do
#   REQUEST_METHOD, REQUEST_PATH, REQUEST_BODY   the call that moves the address
#   ATTEMPTS, TIMEOUT   tries (default 3, 2 s apart) and seconds per HTTP request (default 10)
#
# Credentials never reach a command line: headers go to curl on its stdin (-H @-), and the
# OVHcloud signature is computed by openssl reading stdin. OVHcloud's signature is
# "$1$" + hex(SHA-1(AS + "+" + CK + "+" + METHOD + "+" + URL + "+" + BODY + "+" + TIMESTAMP)),
# TIMESTAMP from GET /auth/time (see packages/keepalived/README.md, "OVHcloud request signing").
# Exit status: 0 moved or already here, 1 the API refused or could not be reached, 2 bad CONFIG.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 077
tag=converge-cloud-failover
say() {
  printf '%s: %s\n' "$tag" "$*" >&2
  logger -t "$tag" -- "$*" 2>/dev/null || :
}

conf=${1:-}
if [ -z "$conf" ] || [ ! -r "$conf" ]; then say "cannot read the configuration file '${conf}'"; exit 2; fi
auth= endpoint= ak= as= ck= token= check_path= check_match= method= rpath= body= attempts=3 timeout=10
while IFS= read -r line || [ -n "$line" ]; do
  case $line in '' | '#'*) continue ;; esac
  key=${line%%=*}
  val=${line#*=}
  case $key in
    AUTH) auth=$val ;;
    ENDPOINT) endpoint=${val%/} ;;
    OVH_APPLICATION_KEY) ak=$val ;;
    OVH_APPLICATION_SECRET) as=$val ;;
    OVH_CONSUMER_KEY) ck=$val ;;
    SCW_SECRET_KEY) token=$val ;;
    CHECK_PATH) check_path=$val ;;
    CHECK_MATCH) check_match=$val ;;
    REQUEST_METHOD) method=$val ;;
    REQUEST_PATH) rpath=$val ;;
    REQUEST_BODY) body=$val ;;
    ATTEMPTS) attempts=$val ;;
    TIMEOUT) timeout=$val ;;
    *) say "unknown setting '$key' in $conf"; exit 2 ;;
  esac
done < "$conf"
case $auth in
  ovh) [ -n "$ak" ] && [ -n "$as" ] && [ -n "$ck" ] || { say "AUTH=ovh needs OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY"; exit 2; } ;;
  scaleway) [ -n "$token" ] || { say "AUTH=scaleway needs SCW_SECRET_KEY"; exit 2; } ;;
  *) say "AUTH must be ovh or scaleway"; exit 2 ;;
esac
[ -n "$endpoint" ] && [ -n "$method" ] && [ -n "$rpath" ] || { say "ENDPOINT, REQUEST_METHOD and REQUEST_PATH are required"; exit 2; }
case $attempts$timeout in *[!0-9]*) say "ATTEMPTS and TIMEOUT must be whole numbers"; exit 2 ;; esac

tmp=$(mktemp -d) || exit 1
trap 'rm -rf -- "$tmp"' EXIT

# headers METHOD URL BODY: the request's headers, one per line.
headers() {
  if [ "$auth" = ovh ]; then
    ts=$(curl -sS --max-time "$timeout" "$endpoint/auth/time") || return 1
    case $ts in '' | *[!0-9]*) say "GET $endpoint/auth/time did not answer a time: '$ts'"; return 1 ;; esac
    sum=$(printf '%s+%s+%s+%s+%s+%s' "$as" "$ck" "$1" "$2" "$3" "$ts" | openssl dgst -sha1 -r) || return 1
    printf 'X-Ovh-Application: %s\nX-Ovh-Consumer: %s\nX-Ovh-Timestamp: %s\nX-Ovh-Signature: $1$%s\n' "$ak" "$ck" "$ts" "${sum%% *}"
  else
    printf 'X-Auth-Token: %s\n' "$token"
  fi
  printf 'Accept: application/json\n'
  if [ -n "$3" ]; then printf 'Content-Type: application/json\n'; fi
}

# request METHOD PATH BODY: prints the HTTP status; the answer is in $tmp/out.
request() {
  url=$endpoint$2
  hdr=$(headers "$1" "$url" "$3") || return 1
  if [ -n "$3" ]; then
    printf '%s\n' "$hdr" | curl -sS --max-time "$timeout" -X "$1" -H @- -o "$tmp/out" -w '%{http_code}' --data-binary "$3" "$url"
  else
    printf '%s\n' "$hdr" | curl -sS --max-time "$timeout" -X "$1" -H @- -o "$tmp/out" -w '%{http_code}' "$url"
  fi
}

try=1
while :; do
  : > "$tmp/out"
  if [ -n "$check_path" ] && [ -n "$check_match" ]; then
    code=$(request GET "$check_path" '') || code=
    if [ "$code" = 200 ] && tr -d ' \t\r\n' < "$tmp/out" | grep -qF -e "$check_match"; then
      say "the address is already routed here (GET $check_path)"
      exit 0
    fi
  fi
  code=$(request "$method" "$rpath" "$body") || code=
  case $code in
    2??) say "$method $rpath: HTTP $code, the address moves here"; exit 0 ;;
  esac
  say "$method $rpath: HTTP ${code:-no answer} (attempt $try of $attempts): $(head -c 300 "$tmp/out" 2>/dev/null | tr -d '\r\n')"
  if [ "$try" -ge "$attempts" ]; then exit 1; fi
  try=$((try + 1))
  sleep 2
done
