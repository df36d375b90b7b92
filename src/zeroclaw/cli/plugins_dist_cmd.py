"""`zeroclaw plugins install | remove | upgrade | publish | keygen | sign | verify`.

Installing shows what the plugin asks for and what this config would grant, like a
permission prompt, and asks before anything changes (`--yes` answers for scripts; with
`plugins.require_approval_for_new_capabilities` the grants still need `plugins approve`).
The work is done by plugins/distribution/ (fetch, validate in a staging folder, rename
into place, pin in plugins.lock); a running gateway picks the change up at its next
reload. See docs/plugins-distribution.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import typer

from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.state import state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.plugins.errors import InstallError

if TYPE_CHECKING:
    from zeroclaw.plugins.contract.grants import Grants
    from zeroclaw.plugins.distribution.transaction import StagedPlugin


def install(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(
            help="A plugin folder, a .tar.gz or .zip, an https:// URL of one, or "
            "oci://REGISTRY/REPO:TAG (or @sha256:DIGEST)."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Refuse unless the source's plugin is NAME.")
    ] = None,
    sha256: Annotated[
        str | None,
        typer.Option("--sha256", help="The archive's (or OCI manifest's) sha256 it must have."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (for scripts).")] = False,
    locked: Annotated[
        bool,
        typer.Option("--locked", help="Install every plugin of plugins.lock, exactly as pinned."),
    ] = False,
) -> None:
    """Install a plugin: fetch, validate under this config, show what it asks for and what
    it would be granted, then put it in place and pin it in plugins.lock."""
    config = state_of(ctx).config()
    if locked:
        if source is not None or name is not None or sha256 is not None:
            with user_errors():
                raise InstallError(
                    "--locked installs what plugins.lock names: give no SOURCE, --name or --sha256",
                    hint="`zeroclaw plugins install --locked`",
                )
        _install_locked(config)
        return
    if source is None:
        with user_errors():
            raise InstallError("give a SOURCE to install", hint="`zeroclaw plugins install --help`")
    with user_errors():
        from zeroclaw.plugins.distribution.sources import parse_source

        _install(config, parse_source(source, sha256=sha256), name=name, yes=yes, verb="install")


def upgrade(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The installed plugin to upgrade.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Upgrade every installed plugin.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (for scripts).")] = False,
) -> None:
    """Fetch an installed plugin again from its source (a tag or URL may now hold a newer
    version), show the permission changes, and replace it. If the new version fails
    validation, the installed one stays, untouched."""
    config = state_of(ctx).config()
    with user_errors():
        from zeroclaw.plugins.distribution.sources import parse_source
        from zeroclaw.plugins.distribution.transaction import PluginInstaller

        if (name is None) == (not every):
            raise InstallError("give a plugin NAME or --all", hint="`zeroclaw plugins list`")
        lock = PluginInstaller(config).lock()
        names = sorted(lock.entries) if every else [name or ""]
        for plugin in names:
            entry = lock.get(plugin)
            if entry is None:
                raise InstallError(
                    f"plugin {plugin!r} is not in {lock.path}, so it has no source to upgrade from",
                    hint="install it with `zeroclaw plugins install SOURCE`",
                )
            _install(config, parse_source(entry.source), name=plugin, yes=yes, verb="upgrade")


def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The installed plugin to remove.")],
) -> None:
    """Remove an installed plugin and its plugins.lock entry; a running gateway drops it at
    its next reload."""
    config = state_of(ctx).config()
    with user_errors():
        from zeroclaw.plugins.distribution.transaction import PluginInstaller

        removed = PluginInstaller(config).remove(name)
    typer.echo(f"removed {name} from {removed.directory.parent}")
    _next_reload()


def _install(config: Config, source: object, *, name: str | None, yes: bool, verb: str) -> None:
    from zeroclaw.cli.plugins_runtime import require_wasmtime
    from zeroclaw.plugins.distribution.sources import Source
    from zeroclaw.plugins.distribution.transaction import PluginInstaller

    assert isinstance(source, Source)
    require_wasmtime()
    installer = PluginInstaller(config)
    with installer.staging() as folder:
        staged = installer.stage(source, folder, expect_name=name)
        for line in _prompt_lines(staged, config):
            typer.echo(line)
        if staged.unchanged:
            typer.echo(f"{staged.name} {staged.manifest.version} is already installed, unchanged.")
            return
        _confirm(f"{verb.capitalize()} {staged.name} {staged.manifest.version}?", yes, verb)
        installed = installer.commit(staged, folder)
    typer.echo(
        f"{verb}ed {installed.name} {staged.manifest.version} into {installed.directory}; "
        f"pinned in {installer.lock_path}"
    )
    if config.plugins.require_approval_for_new_capabilities and staged.grants.granted:
        typer.echo(
            "note: plugins.require_approval_for_new_capabilities is on: a running gateway "
            f"serves it once its grants are approved: `zeroclaw plugins approve {staged.name}`"
        )
    _next_reload()


def _install_locked(config: Config) -> None:
    with user_errors():
        from zeroclaw.cli.plugins_runtime import require_wasmtime
        from zeroclaw.plugins.contract.digests import plugin_digests
        from zeroclaw.plugins.contract.lock import check_pin
        from zeroclaw.plugins.contract.manifest import load_manifest
        from zeroclaw.plugins.distribution.sources import parse_source
        from zeroclaw.plugins.distribution.transaction import PluginInstaller
        from zeroclaw.plugins.errors import PluginError

        require_wasmtime()
        installer = PluginInstaller(config)
        lock = installer.lock()
        if not lock.entries:
            typer.echo(f"{lock.path} pins no plugin: nothing to install.")
            return
        for plugin, entry in sorted(lock.entries.items()):
            directory = installer.install_dir / plugin
            try:
                check_pin(
                    plugin, entry, plugin_digests(directory, load_manifest(directory)), lock.path
                )
                typer.echo(f"{plugin} {entry.version}: installed, as pinned")
                continue
            except PluginError:
                pass  # missing or changed: install it again from its source
            source = parse_source(entry.source, sha256=entry.source_sha256)
            with installer.staging() as folder:
                staged = installer.stage(source, folder, expect_name=plugin)
                pinned = (entry.component_sha256, entry.manifest_sha256)
                fetched = (staged.entry.component_sha256, staged.entry.manifest_sha256)
                if pinned != fetched:
                    raise InstallError(
                        f"{entry.source}: plugin {plugin!r} now has component sha256 "
                        f"{fetched[0]} and manifest sha256 {fetched[1]}, but {lock.path} pins "
                        f"{pinned[0]} and {pinned[1]}",
                        hint="the source changed: `zeroclaw plugins upgrade NAME` to take the "
                        "new version on purpose",
                    )
                installer.commit(_keep_entry(staged, entry), folder)
            typer.echo(f"{plugin} {entry.version}: installed from {entry.source}, as pinned")
    _next_reload()


def _keep_entry(staged: StagedPlugin, entry: object) -> StagedPlugin:
    from dataclasses import replace

    from zeroclaw.plugins.contract.lock import LockEntry

    assert isinstance(entry, LockEntry)
    return replace(staged, entry=entry)


def _confirm(question: str, yes: bool, verb: str) -> None:
    if yes:
        return
    try:
        accepted = typer.confirm(question, default=False)
    except click.exceptions.Abort:
        accepted = False
    if not accepted:
        raise InstallError(
            f"not confirmed: nothing was {verb}ed", hint="answer y, or pass --yes in scripts"
        )


def _prompt_lines(staged: StagedPlugin, config: Config) -> Iterator[str]:
    manifest = staged.manifest
    entry = staged.entry
    yield f"plugin {manifest.name} {manifest.version} ({manifest.wit_package}) from {entry.source}"
    if manifest.description:
        yield f"  {manifest.description}"
    yield f"  component sha256 {entry.component_sha256}"
    yield f"  manifest sha256 {entry.manifest_sha256}"
    if entry.source_sha256:
        yield f"  source sha256 {entry.source_sha256}"
    if entry.signer is None:
        yield "  signature: none"
    else:
        trusted = entry.signer in config.plugins.trusted_keys
        trust = "trusted" if trusted else "not in plugins.trusted_keys"
        yield f"  signed by {entry.signer} ({trust})"
    yield from _grant_lines(staged.grants)
    if staged.previous is not None:
        yield f"  replaces version {staged.previous.version}"
        for diff in staged.diff:
            changes = [f"+{g}" for g in diff.added] + [f"-{g}" for g in diff.removed]
            yield f"  grant changes: {' '.join(changes)}"
        if not staged.diff:
            yield "  grant changes: none"
    for warning in staged.warnings:
        yield f"  warning: {warning}"


def _grant_lines(grants: Grants) -> Iterator[str]:
    requested = ", ".join(sorted(str(c) for c in grants.requested)) or "nothing"
    granted = ", ".join(sorted(str(c) for c in grants.granted)) or "nothing"
    yield f"  asks for: {requested}"
    yield f"  this config grants: {granted}"
    for refusal in grants.refused:
        yield f"  not granted: {refusal.capability} ({refusal.why})"


def _next_reload() -> None:
    typer.echo(
        "A running gateway picks this up at its next reload (plugins.hot_reload, or "
        "`zeroclaw plugins reload`)."
    )


# -- signing ------------------------------------------------------------------------------------


def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key.")] = Path(
        "zeroclaw-signing.key"
    ),
) -> None:
    """Make an Ed25519 signing key: the private key in OUT (mode 0600), the public key in
    OUT.pub and printed, ready for plugins.trusted_keys."""
    with user_errors():
        from zeroclaw.plugins.distribution.signing import generate_key

        public = generate_key(out)
    typer.echo(f"private key: {out} (keep it secret)")
    typer.echo(f"public key:  {out}.pub")
    typer.echo(public)


def sign(
    path: Annotated[Path, typer.Argument(help="The plugin folder (holding plugin.toml).")],
    key: Annotated[Path, typer.Option("--key", help="The private key from `plugins keygen`.")],
) -> None:
    """Sign a plugin: write plugin.sig over its plugin.toml bytes and its component's sha256.
    Sign after the last build and the last edit of plugin.toml."""
    with user_errors():
        from zeroclaw.plugins.distribution.signing import load_private_key, sign_plugin

        written, signer, digests = sign_plugin(path, load_private_key(key))
    typer.echo(f"signed {path} as {signer}")
    typer.echo(f"  component sha256 {digests.component_sha256}")
    typer.echo(f"  manifest sha256 {digests.manifest_sha256}")
    typer.echo(f"wrote {written}")


def verify(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The plugin folder (holding plugin.toml).")],
    json_output: JsonFlag = False,
) -> None:
    """Check a plugin's signature against its files and plugins.trusted_keys. Exit 0 when it
    is signed by a trusted key and unchanged since, 1 otherwise, saying which."""
    use_json(json_output)
    config = state_of(ctx).config()
    with user_errors():
        from zeroclaw.plugins.contract.digests import plugin_digests
        from zeroclaw.plugins.contract.manifest import load_manifest
        from zeroclaw.plugins.contract.signature import check_signature, enforce

        manifest = load_manifest(path)
        check = check_signature(
            manifest.name, path, plugin_digests(path, manifest), config.plugins.trusted_keys
        )
        enforce(check, "require")
    if json_output:
        print_json(
            {
                "ok": True,
                "name": manifest.name,
                "version": manifest.version,
                "signer": check.signer,
                "trusted": True,
            }
        )
        return
    typer.echo(f"OK: {manifest.name} {manifest.version} is signed by {check.signer} (trusted)")


# -- publishing --------------------------------------------------------------------------------


def publish(
    path: Annotated[Path, typer.Argument(help="The plugin folder (holding plugin.toml).")],
    target: Annotated[str, typer.Argument(help="oci://REGISTRY/REPO:TAG")],
) -> None:
    """Push a plugin to an OCI registry as a Wasm component artifact (the component as an
    application/wasm layer), with its plugin.toml and plugin.sig as further layers."""
    with user_errors():
        from zeroclaw.plugins.distribution.oci import publish as push

        published = push(path, target)
    typer.echo(f"published {path} to {published.reference}")
    if published.digest:
        typer.echo(f"  digest {published.digest}")
        registry_repo = published.reference.rsplit(":", 1)[0]
        typer.echo(f"  pin it with: zeroclaw plugins install {registry_repo}@{published.digest}")
