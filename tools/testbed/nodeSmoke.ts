// The objects that `scripts/testbed/k8s/node.sh smoke` applies on the real node: the component's
// own, computed as `pulumi up` computes them for a stack whose pods must run there, so that the
// smoke test cannot drift from what users deploy. Reads from the environment NAMESPACE, IMAGE (a
// digest reference in the test bed's registry), NODE_LABEL (`key=value`, selected and tolerated)
// and the test bed's FLASKAPP_E2E_REGISTRY_USERNAME and _PASSWORD (so the password never appears
// on a command line); prints multi-document YAML for `kubectl apply -f -`.
import { FlaskAppArgs } from "../../components";
import { renderManifests } from "../renderManifests";

function required(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set in the environment`);
    return value;
}

export function nodeSmokeArgs(env: (name: string) => string = required): FlaskAppArgs {
    const image = env("IMAGE");
    const [key, value] = env("NODE_LABEL").split("=");
    return {
        target: "kubernetes",
        image: { repository: image.split("@")[0] },
        registry: {
            username: env("FLASKAPP_E2E_REGISTRY_USERNAME"),
            password: env("FLASKAPP_E2E_REGISTRY_PASSWORD"),
        },
        kubernetes: {
            namespace: env("NAMESPACE"),
            createNamespace: true,
            serviceType: "NodePort",
            nodeSelector: { [key]: value },
            tolerations: [{ key, operator: "Equal", value, effect: "NoSchedule" }],
        },
    };
}

if (require.main === module) {
    renderManifests(nodeSmokeArgs(), required("IMAGE")).then(
        (text) => process.stdout.write(text),
        (err) => {
            console.error(err instanceof Error ? err.message : err);
            process.exit(1);
        },
    );
}
