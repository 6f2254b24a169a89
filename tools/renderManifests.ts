// Prints the Kubernetes objects the component computes for a representative hardened stack, as
// multi-document YAML with apiVersion and kind, for the scanners of scripts/scan.sh to read.
// Every secret value is a placeholder. Usage: npx ts-node tools/renderManifests.ts
import * as yaml from "js-yaml";

import { FlaskAppArgs } from "../components";
import { promiseOf } from "./testbed/promiseOf";
import { kubernetesObjectsOf, withKinds } from "./testbed/targets";

/** Stands in for every secret value, so that the rendered YAML holds none. */
export const placeholder = "PLACEHOLDER";

/**
 * A stack with every object the kubernetes target can create: its own namespace, registry
 * credentials (so an image pull Secret), a secret env entry (so an env Secret), and the defaults
 * for everything else, ClusterIP Service included.
 */
export const representativeArgs: FlaskAppArgs = {
    target: "kubernetes",
    image: { repository: "registry.example.com/shop/web" },
    registry: { username: "ci", password: placeholder },
    secretEnv: { API_KEY: placeholder },
    kubernetes: { namespace: "shop", createNamespace: true },
};

/** The objects as multi-document YAML, every Output resolved; `imageRef` is what the push returns. */
export async function renderManifests(
    args: FlaskAppArgs,
    imageRef = `${args.image.repository}@sha256:${"0".repeat(64)}`,
): Promise<string> {
    const objects = await Promise.all(
        withKinds(kubernetesObjectsOf(args, imageRef)).map((o) => promiseOf(o)),
    );
    return objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join("---\n");
}

if (require.main === module) {
    renderManifests(representativeArgs).then(
        (text) => process.stdout.write(text),
        (err) => {
            console.error(err);
            process.exit(1);
        },
    );
}
