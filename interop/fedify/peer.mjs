// A small, independent ActivityPub peer built on Fedify 2, for Espresso's
// interop tests only.  It hosts one actor (alice), records everything its
// inbox receives, auto-accepts follows, publishes Places and Events, and
// exposes a loopback JSON control API under /_control/ for the tests.
//
// Usage: node peer.mjs [PORT]   (or PORT=... ; FIRST_KNOCK=rfc9421|draft-cavage-http-signatures-12)
// Run it with the Node 22 from node_modules/.bin/node: Fedify 2 needs Node 22+.
import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { KeyObject, randomUUID } from "node:crypto";
import { Temporal } from "@js-temporal/polyfill";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  verifyRequestDetailed,
} from "@fedify/fedify";
import {
  Accept, Activity, Create, Endpoints, Event, Follow, isActor, Object as APObject,
  Person, Place, PUBLIC_COLLECTION, Reject, Undo,
} from "@fedify/vocab";

const PORT = Number(process.argv[2] ?? process.env.PORT ?? 0);
const HOST = "127.0.0.1";
const SPECS = ["rfc9421", "draft-cavage-http-signatures-12"];
if (!(PORT > 0)) {
  // The origin (and so every id) must be known before listening: pass a real port.
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}

// ---- in-memory state (the peer lives for one test; nothing is persisted) ----
const received = [];            // every activity that reached an inbox listener (or failed verification)
const inboxLog = [];            // every HTTP POST to an inbox: status, signature scheme, independent check
const sent = [];                // every outgoing HTTP request Fedify made (see fetch wrapper below)
const followers = new Map();    // follower actor id -> Recipient {id, inboxId, endpoints}
const following = new Map();    // followed actor id -> {followId, state, inbox}
const objects = new Map();      // local object id -> Event | Place | Create (served by object dispatchers)
const signing = { fallback: true, blocked: null };
const requestInfo = new AsyncLocalStorage(); // per-inbox-request facts for the listeners
let seq = 0;

// Fedify fetches with the global fetch at call time, so wrapping it lets us log
// which signature scheme each outgoing request used, and (when fallback is off)
// refuse the second "double-knock" so a test really exercises one scheme only.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const req = input instanceof Request ? input : new Request(input, init);
  const scheme = signatureScheme(req.headers);
  const entry = { at: new Date().toISOString(), method: req.method, url: req.url, scheme, status: null };
  sent.push(entry);
  if (signing.blocked != null && scheme === signing.blocked) {
    entry.status = 599;
    entry.blocked = true;
    return new Response("blocked by the test peer: signature fallback is disabled", { status: 599 });
  }
  try {
    const res = await realFetch(input, init);
    entry.status = res.status;
    return res;
  } catch (e) {
    entry.error = String(e);
    throw e;
  }
};

function signatureScheme(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.has("signature")) return "draft-cavage-http-signatures-12";
  return null;
}

// ---- federation ----
const origin = `http://${HOST}:${PORT}`;
const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  // No queue: sendActivity() delivers before it resolves, so control calls can
  // report delivery errors directly and tests need no waiting on our side.
  allowPrivateAddress: true, // everything here is on loopback
  firstKnock: SPECS.includes(process.env.FIRST_KNOCK) ? process.env.FIRST_KNOCK : "rfc9421",
});

// Generated once per process: RSA for HTTP/LD signatures, Ed25519 for FEP-8b32 proofs.
const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "alice") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify test peer)",
      summary: "An independent ActivityPub peer for Espresso's interop tests.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: keys[0].cryptographicKey,          // RSA, as Mastodon expects
      assertionMethods: keys.map((k) => k.multikey), // both keys as Multikey
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === "alice" ? keyPairs : []));

federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) =>
  identifier === "alice" ? { items: [...followers.values()] } : null);

// Everything alice publishes or sends is served at its id so receivers can
// re-fetch it (Fedify itself re-fetches an embedded object from another origin,
// e.g. the Follow inside an Accept).
const paths = [
  [Event, "/events/{id}"], [Place, "/places/{id}"], [Create, "/activities/{id}"],
  [Follow, "/follows/{id}"], [Accept, "/accepts/{id}"], [Undo, "/undos/{id}"],
];
for (const [cls, path] of paths) {
  federation.setObjectDispatcher(cls, path, (ctx, values) => {
    const obj = objects.get(ctx.getObjectUri(cls, values).href);
    return obj instanceof cls ? obj : null;
  });
}

// Fedify verifies signatures (object proof, LD signature or HTTP signature)
// before any listener runs, so reaching a listener means "verified".
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    const entry = await record(ctx, follow, true);
    if (follow.objectId?.href !== ctx.getActorUri("alice").href) return;
    entry.followState = "pending";
    // Accept after our 202 has gone out: a sender that delivers synchronously
    // (holding a lock or a DB transaction) must not wait on its own inbox.
    setTimeout(() => acceptFollow(ctx, follow, entry), 0);
  })
  .on(Accept, async (ctx, accept) => {
    const entry = await record(ctx, accept, true);
    entry.followState = settleFollow(accept, "accepted");
  })
  .on(Reject, async (ctx, reject) => {
    const entry = await record(ctx, reject, true);
    entry.followState = settleFollow(reject, "rejected");
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo, true);
    const inner = await undo.getObject(ctx).catch(() => null);
    if (inner instanceof Follow && undo.actorId) followers.delete(undo.actorId.href);
  })
  .on(Activity, async (ctx, activity) => { await record(ctx, activity, true); })
  .onUnverifiedActivity(async (ctx, activity, reason) => {
    // Keep Fedify's default 401; just remember what was refused and why.
    await record(ctx, activity, false, { reason: { type: reason.type, keyId: reason.keyId?.href ?? null } });
  })
  .onError((_ctx, error) => { console.error("[peer] inbox error:", error); });

async function acceptFollow(ctx, follow, entry) {
  try {
    const follower = await follow.getActor(ctx);
    if (!isActor(follower) || follower.id == null || follower.inboxId == null) {
      throw new Error("follower actor could not be fetched or has no inbox");
    }
    followers.set(follower.id.href, { id: follower.id, inboxId: follower.inboxId, endpoints: follower.endpoints });
    const accept = new Accept({
      id: ctx.getObjectUri(Accept, { id: randomUUID() }),
      actor: ctx.getActorUri("alice"),
      object: follow,
    });
    objects.set(accept.id.href, accept);
    await ctx.sendActivity({ identifier: "alice" }, follower, accept);
    entry.followState = "accepted";
  } catch (e) {
    entry.followState = "error";
    entry.error = String(e);
    console.error("[peer] accepting follow failed:", e);
  }
}

function settleFollow(activity, state) {
  const objectId = activity.objectId?.href;
  for (const [actorId, f] of following) {
    if (f.followId === objectId || (objectId == null && actorId === activity.actorId?.href)) {
      f.state = state;
      return state;
    }
  }
  return "unmatched";
}

async function record(ctx, activity, verified, extra = {}) {
  const info = requestInfo.getStore() ?? {};
  let object = null;
  try {
    const obj = await activity.getObject(ctx);
    if (obj != null) object = await describe(obj, ctx);
  } catch (e) {
    object = { error: String(e) };
  }
  const entry = {
    seq: ++seq,
    receivedAt: new Date().toISOString(),
    verified,
    type: activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectId: activity.objectId?.href ?? null,
    objectType: object?.type ?? null,
    object,
    recipient: ctx.recipient ?? null,
    path: info.path ?? null,
    signatureScheme: info.scheme ?? null,
    httpSignature: info.httpSignature ?? null,
    raw: await activity.toJsonLd({ contextLoader: ctx.contextLoader }),
    ...extra,
  };
  received.push(entry);
  return entry;
}

// A flat, test-friendly view of any parsed object.  Fedify parses lazily, so
// errors in nested values show up here; they are reported, not thrown.
async function describe(obj, ctx) {
  const out = { type: obj.constructor.name, id: obj.id?.href ?? null, errors: [] };
  const attempt = async (key, fn) => {
    try { out[key] = await fn(); } catch (e) { out[key] = null; out.errors.push(`${key}: ${e}`); }
  };
  await attempt("name", () => obj.name?.toString() ?? null);
  await attempt("summary", () => obj.summary?.toString() ?? null);
  await attempt("content", () => obj.content?.toString() ?? null);
  await attempt("url", () => (obj.url?.href ?? obj.url?.href?.href ?? null));
  await attempt("attributedTo", () => obj.attributionId?.href ?? null);
  await attempt("to", () => obj.toIds.map((u) => u.href));
  await attempt("cc", () => obj.ccIds.map((u) => u.href));
  if (isActor(obj)) {
    out.preferredUsername = obj.preferredUsername?.toString() ?? null;
    out.inbox = obj.inboxId?.href ?? null;
    out.sharedInbox = obj.endpoints?.sharedInbox?.href ?? null;
    out.followers = obj.followersId?.href ?? null;
    out.manuallyApprovesFollowers = obj.manuallyApprovesFollowers ?? null;
    out.discoverable = obj.discoverable ?? null;
    await attempt("publicKeyId", async () => (await obj.getPublicKey(ctx))?.id?.href ?? null);
    await attempt("publicKeyPem", async () => {
      const key = (await obj.getPublicKey(ctx))?.publicKey;
      return key ? KeyObject.from(key).export({ type: "spki", format: "pem" }) : null;
    });
    await attempt("assertionMethodIds", () => obj.assertionMethodIds.map((u) => u.href));
  }
  if (obj instanceof Place) Object.assign(out, placeFields(obj));
  out.startTime = obj.startTime?.toString() ?? null; // every AS2 Object may have these
  out.endTime = obj.endTime?.toString() ?? null;
  await attempt("locations", async () => {
    const list = [];
    for await (const loc of obj.getLocations(ctx)) {
      list.push(loc instanceof Place ? { type: "Place", id: loc.id?.href ?? null, ...placeFields(loc) }
        : { type: loc?.constructor?.name ?? null, id: loc?.id?.href ?? null, name: loc?.name?.toString() ?? null });
    }
    return list;
  });
  out.location = out.locations?.[0] ?? null;
  await attempt("raw", () => obj.toJsonLd({ contextLoader: ctx.contextLoader }));
  return out;
}

function placeFields(p) {
  return {
    name: p.name?.toString() ?? null,
    summary: p.summary?.toString() ?? null, // Fedify's vocabulary has no `address`; we publish it here
    latitude: p.latitude ?? null,
    longitude: p.longitude ?? null,
  };
}

// ---- control API (tests only) ----
function json(status, body) {
  return new Response(JSON.stringify(body, null, 1), { status, headers: { "content-type": "application/json" } });
}

// Fetches url as alice would.  Uses Fedify's own lookupObject first; when it
// returns null (it swallows parse errors), repeats its steps to get the error
// text, because strict-parsing failures are exactly what tests look for.
async function lookup(ctx, url, { signed = false } = {}) {
  const baseLoader = signed ? await ctx.getDocumentLoader({ identifier: "alice" }) : ctx.documentLoader;
  let document = null;
  const documentLoader = async (u, opts) => {
    const doc = await baseLoader(u, opts);
    if (document == null) document = doc.document;
    return doc;
  };
  const obj = await ctx.lookupObject(url, { documentLoader, crossOrigin: "throw" });
  if (obj != null) return { obj, document };
  let doc;
  try { doc = await baseLoader(url); } catch (e) { throw new Error(`fetch failed: ${e}`); }
  await APObject.fromJsonLd(doc.document, { documentLoader: baseLoader, contextLoader: ctx.contextLoader, baseUrl: new URL(doc.documentUrl) });
  throw new Error("Fedify's lookupObject returned null (not an ActivityStreams object?)");
}

async function control(request, ctx) {
  const url = new URL(request.url);
  const route = `${request.method} ${url.pathname.replace(/^\/_control/, "")}`;
  const body = request.method === "POST" ? await request.json().catch(() => ({})) : {};
  const alice = ctx.getActorUri("alice");
  const lookupActor = async (u) => {
    const { obj } = await lookup(ctx, u, body);
    if (!isActor(obj)) throw new Error(`not an actor: ${obj.constructor.name}`);
    return obj;
  };
  switch (route) {
    case "GET /health":
      return json(200, { ok: true, origin, actor: alice.href, node: process.version, firstKnock: federation.firstKnock });
    case "POST /lookup": {
      try {
        const { obj, document } = await lookup(ctx, body.url, body);
        return json(200, { ...(await describe(obj, ctx)), document });
      } catch (e) {
        return json(422, { error: String(e), name: e?.name ?? null });
      }
    }
    case "POST /follow": {
      let actor;
      try { actor = await lookupActor(body.actor); } catch (e) { return json(422, { error: String(e) }); }
      const follow = new Follow({ id: ctx.getObjectUri(Follow, { id: randomUUID() }), actor: alice, object: actor.id });
      const followId = follow.id;
      objects.set(followId.href, follow);
      following.set(actor.id.href, { followId: followId.href, state: "pending", inbox: actor.inboxId?.href ?? null });
      try {
        await ctx.sendActivity({ identifier: "alice" }, actor, follow);
      } catch (e) {
        following.get(actor.id.href).state = "error";
        return json(502, { error: String(e), followId: followId.href });
      }
      return json(200, { followId: followId.href, actor: actor.id.href, state: following.get(actor.id.href).state });
    }
    case "POST /unfollow": {
      let actor;
      try { actor = await lookupActor(body.actor); } catch (e) { return json(422, { error: String(e) }); }
      const f = following.get(actor.id.href);
      const undo = new Undo({
        id: ctx.getObjectUri(Undo, { id: randomUUID() }), actor: alice,
        object: new Follow({ id: f ? new URL(f.followId) : null, actor: alice, object: actor.id }),
      });
      objects.set(undo.id.href, undo);
      try { await ctx.sendActivity({ identifier: "alice" }, actor, undo); } catch (e) { return json(502, { error: String(e) }); }
      following.delete(actor.id.href);
      return json(200, { undoId: undo.id.href });
    }
    case "GET /received": return json(200, received);
    case "GET /inbox-log": return json(200, inboxLog);
    case "GET /sent": return json(200, sent);
    case "GET /followers": return json(200, [...followers.keys()]);
    case "GET /following":
      return json(200, [...following].map(([actor, f]) => ({ actor, ...f })));
    case "POST /publish-place":
    case "POST /publish-event": {
      const isEvent = route.endsWith("event");
      const place = body.location === null ? null : makePlace(ctx, isEvent ? (body.location ?? {}) : body);
      let obj = place;
      if (isEvent) {
        obj = new Event({
          id: ctx.getObjectUri(Event, { id: randomUUID() }),
          name: body.name ?? "Test event",
          summary: body.summary ?? null,
          content: body.content ?? null,
          startTime: Temporal.Instant.from(body.startTime ?? "2030-09-22T07:30:00Z"),
          endTime: body.endTime === null ? null : Temporal.Instant.from(body.endTime ?? "2030-09-22T16:00:00Z"),
          location: place,
          attribution: alice,
          to: PUBLIC_COLLECTION,
          cc: ctx.getFollowersUri("alice"),
        });
      }
      const create = new Create({
        id: ctx.getObjectUri(Create, { id: randomUUID() }),
        actor: alice, object: obj, to: PUBLIC_COLLECTION, cc: ctx.getFollowersUri("alice"),
      });
      for (const o of [place, obj, create]) if (o) objects.set(o.id.href, o);
      try {
        await ctx.sendActivity({ identifier: "alice" }, "followers", create, { preferSharedInbox: body.preferSharedInbox ?? false });
      } catch (e) {
        return json(502, { error: String(e), id: obj.id.href, activityId: create.id.href });
      }
      return json(200, { id: obj.id.href, activityId: create.id.href, placeId: place?.id?.href ?? null, followers: followers.size });
    }
    case "POST /signing": {
      // firstKnock: which scheme to try first; fallback=false blocks the retry with
      // the other scheme; forget=true (default) drops the per-server memory of what worked.
      if (body.firstKnock != null) {
        if (!SPECS.includes(body.firstKnock)) return json(400, { error: `firstKnock must be one of ${SPECS}` });
        federation.firstKnock = body.firstKnock;
      }
      if (body.fallback != null) signing.fallback = Boolean(body.fallback);
      signing.blocked = signing.fallback ? null : SPECS.find((s) => s !== federation.firstKnock);
      if (body.forget ?? true) {
        for await (const { key } of federation.kv.list(federation.kvPrefixes.httpMessageSignaturesSpec)) {
          await federation.kv.delete(key);
        }
      }
      return json(200, { firstKnock: federation.firstKnock, fallback: signing.fallback });
    }
    case "POST /reset":
      received.length = inboxLog.length = sent.length = 0;
      return json(200, { ok: true });
    default:
      return json(404, { error: `no control route ${route}` });
  }
}

function makePlace(ctx, f) {
  return new Place({
    id: ctx.getObjectUri(Place, { id: randomUUID() }),
    name: f.name ?? "Coworking Racale",
    summary: f.address ?? "Via Roma 1, 73055 Racale LE, Italia",
    latitude: f.latitude ?? 39.9621,
    longitude: f.longitude ?? 18.0935,
  });
}

// ---- HTTP: Node's http module in front of federation.fetch ----
async function handle(request) {
  const url = new URL(request.url);
  const ctx = federation.createContext(request, undefined);
  if (url.pathname.startsWith("/_control/")) return control(request, ctx);
  if (request.method !== "POST" || !url.pathname.endsWith("/inbox")) {
    return federation.fetch(request, { contextData: undefined });
  }
  // Inbox POST: check the HTTP signature ourselves as well, because Fedify skips
  // it when an Object Integrity Proof or LD signature already verified the activity.
  const info = { path: url.pathname, scheme: signatureScheme(request.headers) };
  try {
    const v = await verifyRequestDetailed(request.clone(), {
      documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader,
    });
    info.httpSignature = v.verified
      ? { verified: true, keyId: v.key?.id?.href ?? null }
      : { verified: false, reason: v.reason.type, keyId: v.reason.keyId?.href ?? null };
  } catch (e) {
    info.httpSignature = { verified: false, reason: String(e) };
  }
  const response = await requestInfo.run(info, () => federation.fetch(request, { contextData: undefined }));
  const log = { at: new Date().toISOString(), ...info, status: response.status };
  if (response.status >= 400) log.response = await response.clone().text();
  inboxLog.push(log);
  return response;
}

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(new URL(req.url, origin), {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])),
      body: hasBody ? Buffer.concat(chunks) : undefined,
    });
    const response = await handle(request);
    response.headers.forEach((value, key) => res.setHeader(key, value));
    res.writeHead(response.status);
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    console.error("[peer] request failed:", e);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(e));
  }
});

server.listen(PORT, HOST, () => {
  console.log(`[peer] listening on ${origin}`); // the Python helper waits for /_control/health instead
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
