// A fediverse follower built on Fedify (@fedify/fedify), for Bluelamp's interop
// test (crates/bluelamp-testkit/tests/interop_fedify.rs).
//
//   node follower.mjs <actor URL to follow> [port]
//
// It serves one Person actor, `follower`, over plain HTTP on 127.0.0.1 (port 0,
// the default, picks a free one), looks up the target actor, sends it a signed
// Follow, then writes one JSON line to stdout for every activity its inbox
// accepts. Fedify verifies every inbound HTTP signature itself (signature
// verification is NOT skipped): {"event":"received","type":"Create","id":…,
// "actor":…,"objectId":…,"objectType":"Note","content":…}. Other lines:
// "listening" (with its origin), "followed", "unverified" (an activity Fedify
// refused with 401, and why), "inbox-error", "http-error", "fatal" (then it exits).
// It also exits when its stdin closes, so it never outlives the test.
//
// Needs Node >= 22. Set FEDIFY_LOG=debug (or info, warning) to see Fedify's own
// logs on stderr.

import { createServer } from "node:http";
import process from "node:process";

import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import { Activity, Endpoints, Follow, Person } from "@fedify/vocab";
import { lookupWebFinger } from "@fedify/webfinger";
import { configure, getStreamSink } from "@logtape/logtape";

const IDENTIFIER = "follower";

function emit(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function fatal(error) {
  emit({ event: "fatal", message: String(error?.stack ?? error) });
  process.exit(1);
}

const [target, portArg] = process.argv.slice(2);
if (!target) {
  fatal("usage: node follower.mjs <actor URL to follow> [port]");
}
const port = Number(portArg ?? process.env.FOLLOWER_PORT ?? 0);

if (process.env.FEDIFY_LOG) {
  await configure({
    sinks: {
      stderr: getStreamSink(
        new WritableStream({
          write(chunk) {
            process.stderr.write(chunk);
          },
        }),
      ),
    },
    loggers: [
      { category: "fedify", sinks: ["stderr"], lowestLevel: process.env.FEDIFY_LOG },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
}

// Listen first, so the origin carries the real port.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
const origin = `http://127.0.0.1:${server.address().port}`;

// One RSA key for HTTP Signatures, made fresh on every start.
const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  // The peer under test lives on 127.0.0.1 over http; this lets Fedify fetch it.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify interop follower",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === IDENTIFIER ? [keyPair] : []
  );

// Every verified activity, whatever its type, ends up here.
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, async (ctx, activity) => {
    const line = {
      event: "received",
      type: activity.constructor.name,
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      objectId: activity.objectId?.href ?? null,
    };
    if (line.type === "Create" || line.type === "Update") {
      const object = await activity.getObject({ documentLoader: ctx.documentLoader });
      line.objectType = object?.constructor.name ?? null;
      line.content = object?.content == null ? null : String(object.content);
    }
    emit(line);
  })
  .onUnverifiedActivity((_ctx, activity, reason) => {
    // Fedify answers these 401; say why, for the test's failure message.
    emit({
      event: "unverified",
      type: activity.constructor.name,
      id: activity.id?.href ?? null,
      reason: reason.type,
      keyId: reason.keyId?.href ?? null,
      keyFetch: reason.result == null ? null : String(reason.result.error ?? reason.result.status),
    });
  })
  .onError((_ctx, error) => {
    emit({ event: "inbox-error", message: String(error?.stack ?? error) });
  });

// Node's http server in front of Fedify's fetch-style handler.
server.on("request", async (req, res) => {
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(new URL(req.url, origin), {
      method: req.method,
      headers,
      body: hasBody ? Buffer.concat(chunks) : undefined,
    });
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    emit({ event: "http-error", message: String(error?.stack ?? error) });
    res.writeHead(500).end();
  }
});

emit({ event: "listening", origin, actor: `${origin}/users/${IDENTIFIER}` });

// Stop with the parent (the Rust test holds our stdin open).
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();

try {
  // WebFinger first, as a Fedify app resolving a handle would. Fedify asks for
  // acct: resources over https only, so on plain http ask about the actor URL.
  const jrd = await lookupWebFinger(target, { allowPrivateAddress: true });
  emit({
    event: "webfinger",
    subject: jrd?.subject ?? null,
    aliases: jrd?.aliases ?? [],
    self: jrd?.links?.find((link) => link.rel === "self")?.href ?? null,
  });
  const ctx = federation.createContext(new URL(origin), undefined);
  const actor = await ctx.lookupObject(target);
  if (actor?.inboxId == null) {
    throw new Error(`${target} did not resolve to an actor with an inbox: ${actor}`);
  }
  const follow = new Follow({
    id: new URL(`${origin}/follows/${crypto.randomUUID()}`),
    actor: ctx.getActorUri(IDENTIFIER),
    object: actor.id,
  });
  // No message queue: this sends now, signed with our key, and throws if refused.
  await ctx.sendActivity({ identifier: IDENTIFIER }, actor, follow);
  emit({
    event: "followed",
    id: follow.id.href,
    object: actor.id.href,
    inbox: actor.inboxId.href,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    preferredUsername: actor.preferredUsername ?? null,
  });
} catch (error) {
  fatal(error);
}
