"""
A recording reverse proxy for the capacity benchmark (scripts/capacity.ts): listens on 127.0.0.1 and forwards every
request to the metadata service on 127.0.0.1, unchanged, and appends one JSON line per request to the log: method,
path (query string apart), request body size and text (JSON bodies only, for the replay), status, latency in ms and
the time it arrived. The paths are templated by the benchmark, not here, so the log holds what the clients sent.

    /usr/bin/python3 proxy.py <listen port> <service port> <log file>

Prints "recording proxy on <port>" when it listens. Debian's python3-aiohttp.
"""
import json
import sys
import time

from aiohttp import ClientSession, ClientTimeout, web

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


def make_app(upstream: str, log_path: str) -> web.Application:
    log = open(log_path, "a", buffering=1, encoding="utf-8")
    state: dict = {}

    async def startup(_app: web.Application) -> None:
        state["session"] = ClientSession(timeout=ClientTimeout(total=120), auto_decompress=False)

    async def cleanup(_app: web.Application) -> None:
        await state["session"].close()
        log.close()

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        started = time.monotonic()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with state["session"].request(request.method, upstream + request.path_qs, data=body or None, headers=headers) as upstream_response:
            payload = await upstream_response.read()
            status = upstream_response.status
            out_headers = {k: v for k, v in upstream_response.headers.items() if k.lower() not in HOP_BY_HOP}
        ms = (time.monotonic() - started) * 1000
        text = None
        if body:
            try:
                text = json.loads(body)
            except ValueError:
                text = None
        record = {"t": time.time(), "method": request.method, "path": request.path, "query": request.query_string, "bytes": len(body), "status": status, "ms": round(ms, 3), "body": text}
        if request.method == "POST" and len(payload) < 4096:
            # What a create returned (the run number, the task id): how the replay follows one task's requests.
            try:
                record["response"] = json.loads(payload)
            except ValueError:
                pass
        log.write(json.dumps(record) + "\n")
        return web.Response(status=status, body=payload, headers=out_headers)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def main() -> None:
    listen, service, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    app = make_app(f"http://127.0.0.1:{service}", log_path)
    web.run_app(app, host="127.0.0.1", port=listen, print=lambda *_: print(f"recording proxy on {listen}", flush=True), access_log=None)


if __name__ == "__main__":
    main()
