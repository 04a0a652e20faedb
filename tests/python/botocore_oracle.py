"""Independent oracle for the botocore differential test.

Reads JSON lines on stdin, one signed case each (made by
tests/botocore_differential.rs), and writes one JSON line per case with the
problems it found and botocore's own signed form for the same inputs.

For each case it checks, without any code of this project:
  1. the policy decodes (base64, then Python's json) to exactly the expected
     expiration and conditions, in order, values byte for byte;
  2. botocore's SigV4 signer gives the same signature over the same policy;
  3. S3's coverage rule: every form field (but x-amz-signature, file, policy,
     x-ignore-*) is matched by a condition, and every condition's field is in
     the form or listed as a field the client must fill;
  4. the HTML form, parsed by Python's html.parser, posts to the URL with the
     same fields in order, client fields after them and the file input last.
It also runs botocore's generate_presigned_post on the same inputs with the
same clock, so the Rust side can parse and re-sign botocore's policy.
"""

import base64
import datetime
import json
import sys
from html.parser import HTMLParser
from unittest import mock

import boto3
import botocore.auth
import botocore.signers
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

EXEMPT = {"x-amz-signature", "file", "policy"}


def expected_conditions(case, amz_date, date):
    out = []
    for c in case["conditions"]:
        if c[0] == "eq":
            out.append({c[1]: c[2]})
        elif c[0] == "starts-with":
            out.append(["starts-with", "$" + c[1], c[2]])
        else:
            out.append(["content-length-range", c[1], c[2]])
    credential = f"{case['access_key']}/{date}/{case['region']}/s3/aws4_request"
    out.append({"x-amz-algorithm": "AWS4-HMAC-SHA256"})
    out.append({"x-amz-credential": credential})
    out.append({"x-amz-date": amz_date})
    if case.get("token"):
        out.append({"x-amz-security-token": case["token"]})
    return out


def covered(name, value, conditions):
    """Whether a form field is matched by some condition (S3's rule)."""
    for c in conditions:
        if isinstance(c, dict):
            for k, v in c.items():
                if k.lower() == name.lower() and v == value:
                    return True
        elif c[0] == "starts-with" and c[1][1:].lower() == name.lower():
            if value.startswith(c[2]):
                return True
    return False


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.inputs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(attrs)
        elif tag == "input":
            self.inputs.append(attrs)


def check(case):
    errors = []
    now = datetime.datetime.fromtimestamp(case["now"], tz=datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = now.strftime("%Y%m%d")
    ours = case["ours"]
    fields = ours["fields"]
    field_map = dict(fields)

    # 1. The policy JSON, decoded independently.
    doc = json.loads(base64.b64decode(field_map["policy"], validate=True).decode("utf-8"))
    expiration = (now + datetime.timedelta(seconds=case["expires_in"])).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    if list(doc.keys()) != ["expiration", "conditions"]:
        errors.append(f"policy keys {list(doc.keys())}")
    if doc.get("expiration") != expiration:
        errors.append(f"expiration {doc.get('expiration')!r} != {expiration!r}")
    want = expected_conditions(case, amz_date, date)
    if doc.get("conditions") != want:
        errors.append(f"conditions differ:\n  ours: {doc.get('conditions')!r}\n  want: {want!r}")

    # 2. botocore's signature over our exact policy bytes.
    creds = Credentials(case["access_key"], case["secret"], case.get("token"))
    auth = botocore.auth.S3SigV4PostAuth(creds, "s3", case["region"])
    request = AWSRequest(method="POST", url=ours["url"])
    request.context["timestamp"] = amz_date
    theirs = auth.signature(field_map["policy"], request)
    if theirs != field_map["x-amz-signature"]:
        errors.append(f"signature {field_map['x-amz-signature']} != botocore {theirs}")

    # 3. Coverage, as S3 checks it (with ${filename} substituted).
    conditions = doc.get("conditions", [])
    filename = "photo.png"
    for name, value in fields:
        if name.lower() in EXEMPT or name.lower().startswith("x-ignore-"):
            continue
        if not covered(name, value.replace("${filename}", filename), conditions):
            errors.append(f"form field {name!r}={value!r} is not covered by the policy")
    client = {c["name"].lower() for c in ours["client_fields"]}
    present = {n.lower() for n, _ in fields} | client | {"bucket"}
    for c in conditions:
        names = list(c.keys()) if isinstance(c, dict) else (
            [c[1][1:]] if c[0] == "starts-with" else [])
        for n in names:
            if n.lower() not in present:
                errors.append(f"condition on {n!r} has no form field")

    # 4. The HTML form.
    parser = FormParser()
    parser.feed(ours["html"])
    form = parser.forms[0] if len(parser.forms) == 1 else {}
    if form.get("action") != ours["url"] or form.get("method") != "post" or \
            form.get("enctype") != "multipart/form-data":
        errors.append(f"form element {form!r}")
    hidden = [(i.get("name"), i.get("value")) for i in parser.inputs if i.get("type") == "hidden"]
    if hidden != [tuple(f) for f in fields]:
        errors.append(f"hidden inputs differ from fields: {hidden!r}")
    texts = [(i.get("name"), i.get("value")) for i in parser.inputs if i.get("type") == "text"]
    if texts != [(c["name"], c["prefix"]) for c in ours["client_fields"]]:
        errors.append(f"client inputs differ: {texts!r}")
    if not parser.inputs or parser.inputs[-1].get("type") != "file" or \
            parser.inputs[-1].get("name") != "file":
        errors.append("the file input is not last")

    # botocore's own form for the same inputs and clock.
    boto_fields = {n: v for n, v in fields if n not in (
        "key", "policy", "x-amz-signature", "x-amz-algorithm", "x-amz-credential",
        "x-amz-date", "x-amz-security-token")}
    boto_conditions = []
    for c in case["conditions"]:
        if c[0] == "eq" and c[1] in ("bucket", "key"):
            continue
        if c[0] == "starts-with" and c[1] == "key":
            continue
        boto_conditions.append({c[1]: c[2]} if c[0] == "eq" else list(c) if c[0] ==
                               "content-length-range" else ["starts-with", "$" + c[1], c[2]])
    s3 = boto3.client(
        "s3",
        region_name=case["region"],
        aws_access_key_id=case["access_key"],
        aws_secret_access_key=case["secret"],
        aws_session_token=case.get("token"),
        config=Config(signature_version="s3v4"),
    )
    with mock.patch.object(botocore.signers, "get_current_datetime", return_value=now.replace(tzinfo=None)), \
            mock.patch.object(botocore.auth, "get_current_datetime", return_value=now.replace(tzinfo=None)):
        boto = s3.generate_presigned_post(
            Bucket=case["bucket"], Key=field_map["key"], Fields=boto_fields,
            Conditions=boto_conditions, ExpiresIn=case["expires_in"])
    return {"id": case["id"], "errors": errors, "boto": boto}


def main():
    for line in sys.stdin:
        if line.strip():
            case = json.loads(line)
            try:
                result = check(case)
            except Exception as e:  # report, never hide
                result = {"id": case.get("id"), "errors": [f"oracle crashed: {e!r}"], "boto": None}
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
