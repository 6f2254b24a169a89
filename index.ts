// The stack program: one FlaskApp, configured by this stack's config (see Pulumi.yaml).
import * as pulumi from "@pulumi/pulumi";

import { FlaskApp, argsFromConfig } from "./components";

const app = new FlaskApp(pulumi.getProject(), argsFromConfig(new pulumi.Config()));

export const imageRef = app.imageRef;
export const url = app.url;
// Only a LoadBalancer has one; the engine warns about an undefined stack output, not a null one.
export const externalUrl = app.externalUrl.apply((address) => address ?? null);
// What the app runs as, by kind, for `docker` and `kubectl` commands.
export const resourceNames = app.docker
    ? { container: app.docker.container.name, network: app.docker.network.name }
    : {
          namespace: app.kubernetes!.deployment.metadata.namespace,
          deployment: app.kubernetes!.deployment.metadata.name,
          service: app.kubernetes!.service.metadata.name,
      };
