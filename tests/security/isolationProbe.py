# Runs as a task of account B (tests/security/isolation.test.ts): tries to read what a task must never read, looks
# for account keys and secrets in every process it can see, and tries to act on account A's job with a token it
# forged and with its own. Prints one JSON document. Everything it needs comes in PROBE (JSON, environment).
import base64, hashlib, hmac, json, os, time, urllib.error, urllib.request

probe = json.loads(os.environ["PROBE"])
out = {
    "uid": os.getuid(),
    "user": os.environ.get("USER"),
    "taskUser": os.environ.get("AZ_BATCH_TASK_USER"),
    "identity": os.environ.get("AZ_BATCH_TASK_USER_IDENTITY"),
    "nodeRoot": os.environ.get("AZ_BATCH_NODE_ROOT_DIR"),
    "reads": {},
    "processes": 0,
    "hits": [],
}

for path in probe["paths"]:
    try:
        if os.path.isdir(path):
            out["reads"][path] = "LISTED " + ",".join(sorted(os.listdir(path))[:5])
        else:
            with open(path, "rb") as handle:
                out["reads"][path] = "READ " + handle.read(80).decode("latin-1")
    except Exception as error:
        out["reads"][path] = type(error).__name__

needles = [bytes.fromhex(needle) for needle in probe["needles"]]
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    out["processes"] += 1
    for part in ("environ", "cmdline"):
        try:
            with open("/proc/%s/%s" % (entry, part), "rb") as handle:
                data = handle.read()
        except Exception:
            continue
        if any(needle in data for needle in needles):
            out["hits"].append("/proc/%s/%s" % (entry, part))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(secret, account, job):
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256"}).encode())
    claims = b64url(json.dumps({"acct": account, "job": job, "iss": "openbatch-task-token", "iat": now, "exp": now + 3600}).encode())
    signature = hmac.new(secret, ("%s.%s" % (header, claims)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (header, claims, b64url(signature))


def call(token, path):
    url = "%s%s?api-version=%s" % (os.environ["AZ_BATCH_ACCOUNT_URL"], path, probe["apiVersion"])
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception as error:
        return type(error).__name__


# With the task-token secret a task could sign any token; the probe uses it if it can read it, and a guess if not.
secret = b"a guess: the secret file was not readable"
try:
    with open(probe["secretPath"], "rb") as handle:
        secret = base64.b64decode(handle.read().strip())
    out["secretRead"] = True
except Exception:
    out["secretRead"] = False
target = "/jobs/%s/tasks/%s" % (probe["victimJob"], probe["victimTask"])
out["forgedTokenStatus"] = call(forge(secret, probe["victimAccount"], probe["victimJob"]), target)
out["ownTokenStatus"] = call(os.environ.get("AZ_BATCH_AUTHENTICATION_TOKEN", ""), target)
print(json.dumps(out))
