"""The denial component of a Python guest built with WASI, from its WIT text to a real
component: what it exports, and what each denied call answers (run in wasmtime).

The end-to-end cases (a real componentize-py guest granted files and variables, whose
sockets, DNS lookups and HTTP fail inside it) are in
tests/adversarial/hostile_plugins/test_python_wasi.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime
from wasmtime.component import Component, Linker

from zeroclaw.plugins.authoring.build import (
    complete_core_module,
    component_world,
    run_wasm_tools,
)
from zeroclaw.plugins.authoring.network_denial import (
    DENIAL_WORLD,
    denial_module,
    denial_wit,
    network_imports,
)

VERSION = "0.2.9"
SOCKETS = [
    f"wasi:sockets/{name}@{VERSION}"
    for name in (
        "network",
        "instance-network",
        "tcp",
        "tcp-create-socket",
        "udp",
        "udp-create-socket",
        "ip-name-lookup",
    )
]
# A guest's world as `wasm-tools component wit` prints it: the root world, then the
# packages it uses (only what the denial component needs of wasi:sockets).
GUEST_WIT = f"""package root:component;

world root {{
  import wasi:io/poll@{VERSION};
  import wasi:cli/environment@{VERSION};
{"".join(f"  import {name};{chr(10)}" for name in SOCKETS)}}}
package wasi:io@{VERSION} {{
  interface poll {{
    resource pollable;
  }}
}}


package wasi:cli@{VERSION} {{
  interface environment {{
    get-environment: func() -> list<tuple<string, string>>;
  }}
}}


package wasi:sockets@{VERSION} {{
  interface network {{
    resource network;
    enum error-code {{ unknown, access-denied, not-supported }}
    enum ip-address-family {{ ipv4, ipv6 }}
    type ipv4-address = tuple<u8, u8, u8, u8>;
    variant ip-address {{ ipv4(ipv4-address) }}
  }}
  interface instance-network {{
    use network.{{network}};
    instance-network: func() -> network;
  }}
  interface tcp {{
    resource tcp-socket;
  }}
  interface tcp-create-socket {{
    use network.{{ip-address-family, error-code}};
    use tcp.{{tcp-socket}};
    create-tcp-socket: func(address-family: ip-address-family) -> result<tcp-socket, error-code>;
  }}
  interface udp {{
    resource udp-socket;
  }}
  interface udp-create-socket {{
    use network.{{ip-address-family, error-code}};
    use udp.{{udp-socket}};
    create-udp-socket: func(address-family: ip-address-family) -> result<udp-socket, error-code>;
  }}
  interface ip-name-lookup {{
    use network.{{network, ip-address, error-code}};
    use wasi:io/poll@{VERSION}.{{pollable}};
    resource resolve-address-stream {{
      resolve-next-address: func() -> result<option<ip-address>, error-code>;
      subscribe: func() -> pollable;
    }}
    resolve-addresses: func(network: borrow<network>, name: string)
      -> result<resolve-address-stream, error-code>;
  }}
}}
"""


def test_the_network_imports_are_picked_out_of_the_world() -> None:
    assert network_imports(GUEST_WIT) == SOCKETS
    http = GUEST_WIT.replace("import wasi:io/poll", "import wasi:http/outgoing-handler")
    assert network_imports(http) == [f"wasi:http/outgoing-handler@{VERSION}", *SOCKETS]
    assert network_imports("package a:b;\n\nworld root {\n  import wasi:io/poll@0.2.9;\n}\n") == []


def test_a_world_without_a_world_is_refused() -> None:
    with pytest.raises(ValueError, match="no world"):
        denial_wit("package a:b;\n", SOCKETS)


@pytest.fixture(scope="module")
def denial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The denial component built from GUEST_WIT, as `deny_network` builds it."""
    work = tmp_path_factory.mktemp("denial")
    wit = work / "denied.wit"
    wit.write_text(denial_wit(GUEST_WIT, SOCKETS))
    dummy = run_wasm_tools(
        "component", "embed", "--dummy-names", "legacy", wit, "-w", DENIAL_WORLD, "-t"
    )
    core_wat = work / "core.wat"
    core_wat.write_text(complete_core_module(denial_module(SOCKETS), dummy))
    core = work / "core.wasm"
    run_wasm_tools("component", "embed", wit, "-w", DENIAL_WORLD, core_wat, "-o", core)
    out = work / "denied.wasm"
    run_wasm_tools("component", "new", core, "-o", out)
    return out


def test_the_denial_component_exports_the_sockets_and_imports_no_authority(
    denial: Path,
) -> None:
    world = component_world(denial)

    assert sorted(world.exports) == sorted(SOCKETS)
    assert world.imports == (f"wasi:io/poll@{VERSION}",)  # for the pollable type only


def test_every_way_to_the_network_answers_access_denied(denial: Path) -> None:
    engine = wasmtime.Engine()
    component = Component.from_file(engine, str(denial))
    linker = Linker(engine)
    linker.define_unknown_imports_as_traps(component)
    store = wasmtime.Store(engine)
    instance = linker.instantiate(store, component)

    def func(interface: str, name: str) -> wasmtime.component.Func:
        parent = component.get_export_index(f"wasi:sockets/{interface}@{VERSION}")
        found = instance.get_func(store, component.get_export_index(name, parent))
        assert found is not None
        return found

    network = func("instance-network", "instance-network")(store)
    tcp = func("tcp-create-socket", "create-tcp-socket")(store, "ipv4")
    udp = func("udp-create-socket", "create-udp-socket")(store, "ipv6")
    lookup = func("ip-name-lookup", "resolve-addresses")(store, network, "example.com" * 10_000)

    assert [tcp, udp, lookup] == ["access-denied"] * 3
