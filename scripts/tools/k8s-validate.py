#!/usr/bin/env python3
"""Validates Kubernetes manifests (YAML, many documents) against the Kubernetes API models of
the installed official Python client (35.x: Kubernetes 1.35), strictly: every field must exist
in the schema with the right type, and every required field must be present. Custom resources
whose CustomResourceDefinition schema is in crds/ beside this script (the openAPIV3Schema of each
pinned chart's CRDs, keyed `group/version/Kind`) are checked against it just as strictly: unknown
fields fail, as `kubectl apply` (strict field validation) fails on them. Other custom resources are
listed as skipped.

    k8s-validate.py FILE.yaml...    # prints a JSON report; exit 1 when a document is invalid
"""
import glob
import inspect
import json
import os
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


def load_crd_schemas():
    schemas = {}
    for path in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'crds', '*.json'))):
        with open(path, encoding='utf-8') as handle:
            schemas.update(json.load(handle)['schemas'])
    return schemas


def check_structural(value, schema, path, errors):
    """Checks a value against a CRD's structural OpenAPI v3 schema."""
    if value is None:
        return
    if schema.get('x-kubernetes-int-or-string'):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            errors.append(f'{path}: expected an integer or a string, got {json.dumps(value)}')
        return
    kind = schema.get('type')
    if kind == 'object' or 'properties' in schema:
        if not isinstance(value, dict):
            errors.append(f'{path}: expected an object, got {json.dumps(value)}')
            return
        properties = schema.get('properties', {})
        extra = schema.get('additionalProperties')
        for key, item in value.items():
            if key in properties:
                check_structural(item, properties[key], f'{path}.{key}', errors)
            elif isinstance(extra, dict):
                check_structural(item, extra, f'{path}.{key}', errors)
            elif not (extra is True or schema.get('x-kubernetes-preserve-unknown-fields')):
                errors.append(f'{path}.{key}: no such field')
        for key in schema.get('required', []):
            if key not in value:
                errors.append(f'{path}: missing required field {key}')
    elif kind == 'array':
        if not isinstance(value, list):
            errors.append(f'{path}: expected a list, got {json.dumps(value)}')
            return
        for i, item in enumerate(value):
            check_structural(item, schema.get('items', {}), f'{path}[{i}]', errors)
    elif kind == 'string':
        if not isinstance(value, str):
            errors.append(f'{path}: expected a string, got {json.dumps(value)}')
        elif len(value) < schema.get('minLength', 0):
            errors.append(f'{path}: shorter than {schema["minLength"]}')
    elif kind == 'integer':
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f'{path}: expected an integer, got {json.dumps(value)}')
    elif kind == 'number':
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f'{path}: expected a number, got {json.dumps(value)}')
    elif kind == 'boolean':
        if not isinstance(value, bool):
            errors.append(f'{path}: expected a boolean, got {json.dumps(value)}')
    if 'enum' in schema and value not in schema['enum']:
        errors.append(f'{path}: {json.dumps(value)} is not one of {json.dumps(schema["enum"])}')
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 'minimum' in schema and value < schema['minimum']:
            errors.append(f'{path}: below the minimum {schema["minimum"]}')
        if 'maximum' in schema and value > schema['maximum']:
            errors.append(f'{path}: above the maximum {schema["maximum"]}')


def check_custom(doc, schema, kind, errors):
    """A custom resource: metadata against the core ObjectMeta model, the rest against its CRD schema."""
    check(doc.get('metadata'), 'V1ObjectMeta', f'{kind}.metadata', errors)
    body = {key: item for key, item in doc.items() if key != 'metadata'}
    rest = {**schema, 'properties': {key: item for key, item in schema.get('properties', {}).items() if key != 'metadata'}}
    check_structural(body, rest, kind, errors)


def main(files):
    crds = load_crd_schemas()
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
                crd = crds.get(f'{api_version}/{kind}')
                if model is None and crd is not None:
                    errors = []
                    check_custom(doc, crd, kind, errors)
                    entry['model'] = f'CustomResourceDefinition {api_version}/{kind}'
                    entry['errors'] = errors
                    failed = failed or bool(errors)
                elif model is None:
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
