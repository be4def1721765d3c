"""Runs moto's server with orderable-options answers for RDS for PostgreSQL and DocumentDB.

moto answers DescribeOrderableDBInstanceOptions only for Aurora PostgreSQL and Neptune; for
other engines it returns an empty list, which the preflight would read as "not orderable". This
launcher serves the options in the JSON file given first (in the API's shape, with AZ suffixes
that are completed with the region) and passes the remaining arguments to moto_server.

    python moto-server.py OPTIONS.json -H 127.0.0.1 -p PORT
"""
import json
import sys

from moto.rds.models import RDSBackend
from moto.server import main

with open(sys.argv[1], encoding="utf-8") as f:
    OPTIONS = json.load(f)

_moto_options = RDSBackend.describe_orderable_db_instance_options


def _options(self, engine, engine_version):
    found = [
        {**o, "AvailabilityZones": [{"Name": self.region_name + z} for z in o["AvailabilityZones"]]}
        for o in OPTIONS
        if o["Engine"] == engine and (not engine_version or o["EngineVersion"] == engine_version)
    ]
    return found or _moto_options(self, engine, engine_version)


RDSBackend.describe_orderable_db_instance_options = _options
main(sys.argv[2:])
