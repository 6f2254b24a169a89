import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

import { FlaskAppArgs } from "./args";
import { containerSpec } from "./container";
import { DockerChildren, checkDocker, deployDocker } from "./docker";
import { KubernetesChildren, checkKubernetes, deployKubernetes } from "./kubernetes";
import { FlaskAppArgsError, FlaskAppSettings, applyDefaults, listProblems } from "./settings";

interface Children {
    readonly image: docker.Image;
    readonly docker?: DockerChildren;
    readonly kubernetes?: KubernetesChildren;
}

// Kept beside the component rather than in fields: the package schema (provider/) is inferred
// from the class's fields, and resource-typed ones would tie every language's SDK to the docker
// and kubernetes SDKs. The getters below give TypeScript callers the same objects.
const childrenOf = new WeakMap<FlaskApp, Children>();

/**
 * Builds the Flask app's image, pushes it to a registry and runs it, pinned by digest, either as
 * a container on the local Docker Engine or as a Kubernetes Deployment behind a Service.
 */
export class FlaskApp extends pulumi.ComponentResource {
    /** The pushed image, pinned by digest: `repository@sha256:...`. */
    public readonly imageRef: pulumi.Output<string>;
    /** A URL that reaches the app: from this host (docker) or from inside the cluster (kubernetes). */
    public readonly url: pulumi.Output<string>;
    /** The address of a LoadBalancer Service, once the cluster assigns one; otherwise undefined. */
    public readonly externalUrl: pulumi.Output<string | undefined>;

    constructor(name: string, args: FlaskAppArgs, opts?: pulumi.ComponentResourceOptions) {
        // Settings are checked before anything is registered, so a bad one creates nothing.
        const settings = validSettings(name, args);
        super("flaskapp:index:FlaskApp", name, {}, opts);

        const image = buildImage(settings, this);
        this.imageRef = image.repoDigest;
        const spec = containerSpec(settings, image.repoDigest);

        if (settings.target === "docker") {
            const deployed = deployDocker(settings, spec, this);
            childrenOf.set(this, { image, docker: deployed.children });
            this.url = deployed.url;
            this.externalUrl = pulumi.output(undefined);
        } else {
            const deployed = deployKubernetes(settings, spec, this);
            childrenOf.set(this, { image, kubernetes: deployed.children });
            this.url = deployed.url;
            this.externalUrl = deployed.externalUrl;
        }

        this.registerOutputs({
            imageRef: this.imageRef,
            url: this.url,
            externalUrl: this.externalUrl,
        });
    }

    /** The image built from the app folder and pushed. */
    public get image(): docker.Image {
        return childrenOf.get(this)!.image;
    }

    /** What the docker target created; undefined on the kubernetes target. */
    public get docker(): DockerChildren | undefined {
        return childrenOf.get(this)!.docker;
    }

    /** What the kubernetes target created; undefined on the docker target. */
    public get kubernetes(): KubernetesChildren | undefined {
        return childrenOf.get(this)!.kubernetes;
    }
}

/** The settings with their defaults, or `FlaskAppArgsError` naming every bad one. */
export function validSettings(name: string, args: FlaskAppArgs): FlaskAppSettings {
    const settings = applyDefaults(name, args);
    // Each target's rules beside the settings' own checks, so that one error names them all.
    const targetChecks = { docker: checkDocker, kubernetes: checkKubernetes }[settings.target];
    const problems = [...listProblems(args), ...(targetChecks?.(settings) ?? [])];
    if (problems.length > 0) throw new FlaskAppArgsError(name, problems);
    return settings;
}

function buildImage(settings: FlaskAppSettings, parent: pulumi.Resource): docker.Image {
    const { image, registry } = settings;
    const credentials = registry.credentials;
    return new docker.Image(
        `${settings.name}-image`,
        {
            imageName: `${image.repository}:${image.tag}`,
            build: {
                context: settings.appPath,
                dockerfile: path.join(settings.appPath, "Dockerfile"),
                platform: image.platform,
                args: image.buildArgs,
            },
            registry: credentials
                ? {
                      server: registry.server,
                      username: credentials.username,
                      password: pulumi.secret(credentials.password),
                  }
                : { server: registry.server },
        },
        { parent },
    );
}
