"""A writer for the kill -9 test: registers the demo generator's distinct companies
(each one save of the customer, its key indexes and its ownership) until it is killed,
printing each new customer's id."""

from __future__ import annotations

import json
import sys

from adapters.demo_data import generate
from crmcore import CrmApplication, DuplicateCustomer, RegisterCustomer, parse_command

if __name__ == "__main__":
    app = CrmApplication(json.loads(sys.argv[1]))
    rows = generate(3000, 11, duplicate_share=0, negative_share=0).rows
    for row in rows:
        if row.variation != "original":
            continue
        command = parse_command(RegisterCustomer, {**row.fields, "actor": "li"})
        try:
            print(app.register_customer(command), flush=True)
        except DuplicateCustomer:  # the generator's rare look-alike: not this test's topic
            continue
