// What both targets share: the user the app runs as, its labels and the environment the
// component sets.
import { FlaskAppSettings } from "./settings";

/** UID and GID the app runs as, in both targets; the bundled Dockerfile creates this user. */
export const appUid = 10001;

/** Standard `app.kubernetes.io/*` labels; Docker containers carry them too. */
export function standardLabels(settings: FlaskAppSettings): Record<string, string> {
    return {
        ...selectorLabels(settings),
        "app.kubernetes.io/component": "web",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** The labels that select the app's pods: derived from names only, so they never change. */
export function selectorLabels(settings: FlaskAppSettings): Record<string, string> {
    return {
        "app.kubernetes.io/name": settings.appName,
        "app.kubernetes.io/instance": settings.name,
    };
}

/** Environment the component sets itself: gunicorn's settings. */
export function runtimeEnv(settings: FlaskAppSettings): Record<string, string> {
    return {
        PORT: String(settings.containerPort),
        WEB_CONCURRENCY: String(settings.workers),
        WEB_TIMEOUT: String(settings.requestTimeoutSeconds),
    };
}
