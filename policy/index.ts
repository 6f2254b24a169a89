// Guards for every stack of the project: run with `pulumi preview --policy-pack policy`.
import { PolicyPack, ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";

import { exposedPorts, missingLimits, rootContainers, unpinnedImages } from "./rules";

/** A mandatory policy that reports each violation one of the rules finds. */
function policy(
    name: string,
    description: string,
    rule: (type: string, props: Record<string, unknown>) => string[],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, report: ReportViolation) => {
            for (const violation of rule(args.type, args.props)) report(violation);
        },
    };
}

new PolicyPack("flask-app-guards", {
    policies: [
        policy("container-limits", "Every container has CPU and memory limits.", missingLimits),
        policy(
            "pinned-images",
            "No latest or untagged image unless pinned by digest.",
            unpinnedImages,
        ),
        policy("run-as-non-root", "Containers do not run as root.", rootContainers),
        {
            name: "docker-ports-on-loopback",
            description: "Docker ports are published on loopback unless the address is allowed.",
            enforcementLevel: "mandatory",
            configSchema: {
                properties: {
                    allowedAddresses: {
                        type: "array",
                        items: { type: "string" },
                        default: [],
                        description: "Host addresses ports may be published on besides loopback.",
                    },
                },
            },
            validateResource: (args, report) => {
                const { allowedAddresses } = args.getConfig<{ allowedAddresses: string[] }>();
                for (const violation of exposedPorts(args.type, args.props, allowedAddresses)) {
                    report(violation);
                }
            },
        },
    ],
});
