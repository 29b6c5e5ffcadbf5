"""`python -m kbackend`: show the configuration and the engines;
`python -m kbackend config set KEY VALUE`: store a value in keras.json."""

import argparse
import os
import sys

from . import config, registry
from .config import ConfigError


def show():
    path = config.config_path()
    state = config.current()
    exists = os.path.exists(path)
    print(f"config file: {path}" + ("" if exists else " (not found: defaults in use)"))
    for key in config.DEFAULTS:
        print(f"  {key:<18} {str(state.values[key]):<16} from {state.sources[key]}")
    print("engines:")
    installed = registry.installed()
    for name, module in registry.known().items():
        kind = "built in" if name in registry.BUILTIN else f"entry point -> {module}"
        if name in installed:
            version = registry.framework_version(name) or "?"
            print(f"  {name:<12} {version:<10} {kind}")
        else:
            extra = registry.BUILTIN[name][2]
            print(f"  {name:<12} {'missing':<10} pip install \"{registry.DISTRIBUTION}[{extra}]\"")
    active = state.values["backend"]
    if active not in installed:
        registry.load(active)  # raises the one-line error that says what to do


def set_value(key, value):
    if key == "backend" and value not in registry.installed():
        registry.load(value)  # unknown or not installed: explain before writing anything
    path = config.write_value(key, value)
    print(f"{key} = {value} written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kbackend", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    cfg = sub.add_parser("config", help="read or write keras.json")
    cfg_sub = cfg.add_subparsers(dest="action", required=True)
    setter = cfg_sub.add_parser("set", help="store KEY=VALUE in keras.json")
    setter.add_argument("key", choices=list(config.DEFAULTS))
    setter.add_argument("value")
    cfg_sub.add_parser("path", help="print the keras.json path")
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            show()
        elif args.action == "set":
            set_value(args.key, args.value)
        else:
            print(config.config_path())
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
