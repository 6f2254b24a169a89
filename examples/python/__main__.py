"""One FlaskApp on the local Docker Engine, from the SDK that `pulumi package add` generates."""

import pulumi

# The SDK's module is named after the package's scope and name in provider/package.json
# (`@flaskapp/flaskapp`), so it is the same from a local path and from a git URL.
import flaskapp_flaskapp as flaskapp

config = pulumi.Config()

app = flaskapp.FlaskApp(
    "app",
    target=flaskapp.DeployTarget.DOCKER,
    image={
        "repository": config.require("imageRepository"),
        "build_args": config.get_object("buildArgs") or {},
    },
    registry={
        "username": config.require("registryUsername"),
        "password": config.require_secret("registryPassword"),
    },
    env={"GREETING": "Hello from a Python program"},
    docker={"host_port": config.require_int("hostPort")},
)

pulumi.export("url", app.url)
pulumi.export("imageRef", app.image_ref)
