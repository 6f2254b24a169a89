// What each target makes of a set of arguments, computed as the component computes it, without
// registering anything: for the tests of the container and the Kubernetes objects themselves,
// the kwok suite that applies those objects, and the scanners that read them.
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";

import { FlaskAppArgs } from "../../components";
import { containerSpec } from "../../components/container";
import { containerArgs } from "../../components/docker";
import { validSettings } from "../../components/flaskApp";
import { KubernetesObjects, kubernetesObjects, objectKinds } from "../../components/kubernetes";

export const digestRef = `localhost:5000/flask-app@sha256:${"a".repeat(64)}`;

/** The docker target's container inputs, on a network named "web-network". */
export function dockerContainerOf(
    args: FlaskAppArgs,
    image: pulumi.Input<string> = digestRef,
): docker.ContainerArgs {
    const settings = validSettings("web", args);
    return containerArgs(settings, containerSpec(settings, image), "web-network");
}

/** The kubernetes target's objects, the env Secret named "web-env". */
export function kubernetesObjectsOf(
    args: FlaskAppArgs,
    image: pulumi.Input<string> = digestRef,
    name = "web",
): KubernetesObjects {
    const settings = validSettings(name, { target: "kubernetes", ...args });
    return kubernetesObjects(settings, containerSpec(settings, image), {
        envSecret: `${name}-env`,
    });
}

/**
 * The objects as files and `kubectl apply` want them, with apiVersion and kind (Pulumi's
 * resource classes set those themselves), in the order they can be created.
 */
export function withKinds(objects: KubernetesObjects): object[] {
    return (Object.keys(objectKinds) as (keyof KubernetesObjects)[])
        .filter((key) => objects[key] !== undefined)
        .map((key) => {
            const [apiVersion, kind] = objectKinds[key];
            return Object.assign({ apiVersion, kind }, objects[key]);
        });
}
