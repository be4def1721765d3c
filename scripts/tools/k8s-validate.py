#!/usr/bin/env python3
"""Validates Kubernetes manifests (YAML, many documents) against the Kubernetes API models of
the installed official Python client (35.x: Kubernetes 1.35), strictly: every field must exist
in the schema with the right type, and every required field must be present. Custom resources
(API groups the core API does not serve) are listed as skipped.

    k8s-validate.py FILE.yaml...    # prints a JSON report; exit 1 when a document is invalid
"""
import inspect
import json
import re
import sys

import yaml
from kubernetes import client

_required_cache = {}


def model_name(api_version, kind):
    """The client's model of a core API type (`apps/v1` + `Deployment` -> `V1Deployment`), or None."""
    version = api_version.rpartition('/')[2]
    name = f'{version.capitalize()}{kind}'
    return name if hasattr(client, name) else None


def required_fields(cls):
    if cls not in _required_cache:
        required = []
        for attr in cls.openapi_types:
            prop = getattr(cls, attr, None)
            if isinstance(prop, property) and prop.fset is not None:
                if 'must not be `None`' in inspect.getsource(prop.fset):
                    required.append(attr)
        _required_cache[cls] = required
    return _required_cache[cls]


def check(value, type_name, path, errors):
    if value is None:
        return
    m = re.fullmatch(r'list\[(.+)\]', type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f'{path}: expected a list, got {type(value).__name__}')
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f'{path}[{i}]', errors)
        return
    m = re.fullmatch(r'dict\(str, (.+)\)', type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f'{path}: expected a map, got {type(value).__name__}')
            return
        for key, item in value.items():
            check(item, m.group(1), f'{path}.{key}', errors)
        return
    if type_name in ('str', 'datetime', 'date'):
        if not isinstance(value, str):
            errors.append(f'{path}: expected a string, got {json.dumps(value)}')
        return
    if type_name == 'int':
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f'{path}: expected an integer, got {json.dumps(value)}')
        return
    if type_name == 'float':
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f'{path}: expected a number, got {json.dumps(value)}')
        return
    if type_name == 'bool':
        if not isinstance(value, bool):
            errors.append(f'{path}: expected a boolean, got {json.dumps(value)}')
        return
    if type_name == 'object':
        return
    cls = getattr(client, type_name, None)
    if cls is None:
        errors.append(f'{path}: unknown schema type {type_name}')
        return
    if not isinstance(value, dict):
        errors.append(f'{path}: expected an object ({type_name}), got {json.dumps(value)}')
        return
    by_json = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    for key, item in value.items():
        attr = by_json.get(key)
        if attr is None:
            errors.append(f'{path}.{key}: no such field in {type_name}')
            continue
        check(item, cls.openapi_types[attr], f'{path}.{key}', errors)
    for attr in required_fields(cls):
        if cls.attribute_map[attr] not in value:
            errors.append(f'{path}: missing required field {cls.attribute_map[attr]} of {type_name}')


def main(files):
    report = {'kubernetes_client': __import__('kubernetes').__version__, 'documents': []}
    failed = False
    for file in files:
        with open(file, encoding='utf-8') as handle:
            for index, doc in enumerate(yaml.safe_load_all(handle)):
                if not doc:
                    continue
                api_version, kind = doc.get('apiVersion', ''), doc.get('kind', '')
                name = (doc.get('metadata') or {}).get('name', '')
                entry = {'file': file, 'index': index, 'apiVersion': api_version, 'kind': kind, 'name': name}
                model = model_name(api_version, kind)
                if model is None:
                    entry['skipped'] = 'not a Kubernetes core API type (custom resource)'
                else:
                    errors = []
                    check(doc, model, kind, errors)
                    entry['model'] = model
                    entry['errors'] = errors
                    failed = failed or bool(errors)
                report['documents'].append(entry)
    json.dump(report, sys.stdout, indent=1)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
