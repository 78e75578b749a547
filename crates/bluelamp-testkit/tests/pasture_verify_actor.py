"""Headless fediverse-pasture actor verification, for interop_pasture_verify.rs.

`python -m fediverse_pasture.verify_actor` is a web form around
`fediverse_pasture.server.verify_actor.ActorVerifier`; this script drives that
class directly. For the signed variants pasture's test actors (alice ... frank,
plus the application actor `actor`) must be fetchable over HTTP, so the script
serves them itself, with pasture's own `BlueprintForActors`, on
`127.0.0.1:{--port}` (a free port when 0), waits until they answer, then runs
`ActorVerifier.verify()` once per `--target` (an http(s) actor URL or an
`acct:` URI, which pasture resolves by WebFinger).

pasture's actors and how each one fetches the target actor and posts to its inbox:

    name    preferredUsername  GET target  POST inbox  its own actor needs a signed GET
    alice   alice              unsigned    unsigned    no
    bob     bob                signed      signed      no
    claire  claire             signed      signed      yes
    dean    (none)             unsigned    unsigned    no
    emily   (none)             signed      signed      no
    frank   (none)             signed      signed      yes

Prints one JSON object on stdout:

    {"pasture_version": ..., "pasture_domain": "127.0.0.1:PORT",
     "actors": {name: {"user_part", "signed_get_and_post", "requires_signed_get_for_actor"}},
     "runs": [{"target", "remote_actor_uri", "result": {name: {"get_actor", "post_inbox"},
               "webfinger": bool}, "fetched": [{"by", "signed", "url", "status", "document"}],
               "messages": [...]}]}

`fetched` is every fetch of the target actor pasture made (`by` the pasture
actor; `actor` is the application actor of the WebFinger check), with what it got
back, so the caller can check the document itself and not only pasture's
yes/no. Logs go to stderr.
"""

import argparse
import asyncio
import json
import logging
import socket
import sys

import aiohttp
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

from fediverse_pasture.data_provider import DataProvider
from fediverse_pasture.server import BlueprintForActors
from fediverse_pasture.server.verify_actor import ActorVerifier
from fediverse_pasture.types import Message
from fediverse_pasture.version import __version__


class RecordingVerifier(ActorVerifier):
    """pasture's ActorVerifier, unchanged except that it records what the
    target actor's URL answered to each of its fetches."""

    def __init__(self, *args, fetched: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fetched = fetched
        self.current = None

    async def verify_for_actor(self, session, actor):
        self.current = actor.actor_name
        return await super().verify_for_actor(session, actor)

    def _record(self, by, signed, url, status, document):
        self.fetched.append(
            {
                "by": by,
                "signed": signed,
                "url": url,
                "status": status,
                "document": document,
            }
        )

    async def init_bovine_actor(self, actor, session):
        bovine_actor = await super().init_bovine_actor(actor, session)
        signed_get = bovine_actor.get
        name = actor.actor_name

        async def recording_get(target):
            if target != self.remote_actor_uri:
                return await signed_get(target)
            try:
                document = await signed_get(target)
            except aiohttp.ClientResponseError as e:
                self._record(name, True, target, e.status, None)
                raise
            self._record(name, True, target, 200, document)
            return document

        bovine_actor.get = recording_get
        return bovine_actor

    async def resolve_inbox_using_session(self, session) -> str:
        # The same request as ActorVerifier.resolve_inbox_using_session (0.2.25),
        # plus the record. The session path is only taken by the unsigned actors.
        async with asyncio.timeout(self.timeout):
            async with session.get(
                self.remote_actor_uri,
                headers={"accept": "application/activity+json"},
            ) as response:
                text = await response.text()
                try:
                    document = json.loads(text)
                except ValueError:
                    document = None
                self._record(
                    self.current, False, self.remote_actor_uri, response.status, document
                )
                actor = json.loads(text)
            inbox = actor.get("inbox")
            self.message.add(f"Got inbox {inbox}")
            return inbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until_up(url: str, seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(
                    url, headers={"accept": "application/activity+json"}
                ) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"pasture's actors did not come up at {url}")
            await asyncio.sleep(0.2)


async def main(args) -> dict:
    port = args.port or free_port()
    domain = f"127.0.0.1:{port}"
    dp = DataProvider.generate()
    actor_list = dp.possible_actors + [dp.one_actor]

    app = Quart("pasture_verify_actor")
    app.register_blueprint(BlueprintForActors(actor_list).blueprint)
    config = Config()
    config.bind = [domain]
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))

    try:
        await wait_until_up(f"http://{domain}/alice", 60)
        runs = []
        for target in args.target:
            message = Message()
            fetched: list = []
            verifier = RecordingVerifier(
                actor_list=actor_list,
                remote_uri=target,
                message=message,
                domain=domain,
                timeout=args.timeout,
                fetched=fetched,
            )
            result = await verifier.verify()
            runs.append(
                {
                    "target": target,
                    "remote_actor_uri": verifier.remote_actor_uri,
                    "result": result,
                    "fetched": fetched,
                    "messages": [
                        s if isinstance(s, str) else repr(s) for s in message.steps
                    ],
                }
            )
    finally:
        stop.set()
        await server

    return {
        "pasture_version": __version__,
        "pasture_domain": domain,
        "actors": {
            a.actor_name: {
                "user_part": a.user_part,
                "signed_get_and_post": a.requires_signed_post_for_inbox,
                "requires_signed_get_for_actor": a.requires_signed_get_for_actor,
            }
            for a in actor_list
            if a.actor_name != "actor"
        },
        "runs": runs,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target",
        action="append",
        required=True,
        help="actor URL or acct: URI to verify (repeatable)",
    )
    parser.add_argument("--port", type=int, default=0, help="port for pasture's actors")
    parser.add_argument("--timeout", type=float, default=20, help="per-request timeout")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    print(json.dumps(asyncio.run(main(args)), indent=2))
