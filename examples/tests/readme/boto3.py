import boto3
from botocore.config import Config

# Without s3v4, boto3 signs this form with the legacy Signature Version 2.
s3 = boto3.client("s3", region_name="eu-west-1", config=Config(signature_version="s3v4"))
post = s3.generate_presigned_post(
    Bucket="avatars",
    Key="user/42/${filename}",  # ends with ${filename}: boto3 adds the starts-with
    Fields={"acl": "private", "success_action_status": "201"},
    Conditions=[
        ["content-length-range", 1, 5000000],
        ["starts-with", "$Content-Type", "image/"],
        {"acl": "private"},  # again: Fields go into the form, not the policy
        {"success_action_status": "201"},  # again
    ],
    ExpiresIn=600,
)  # {"url": ..., "fields": {...}}
