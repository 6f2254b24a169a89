// The stack program: one FlaskApp, configured by this stack's config (see Pulumi.yaml).
import * as pulumi from "@pulumi/pulumi";

import { FlaskApp, argsFromConfig } from "./components";

const app = new FlaskApp(pulumi.getProject(), argsFromConfig(new pulumi.Config()));

export const imageRef = app.imageRef;
export const url = app.url;
// Only a LoadBalancer has one; the engine warns about an undefined stack output, not a null one.
export const externalUrl = app.externalUrl.apply((address) => address ?? null);
export const resourceNames = app.resourceNames;
