/** The sidecar's version: set by the package build (sidecar/build), "dev" when run from source. */
declare const __HEARTH_SIDECAR_VERSION__: string | undefined;

export const SIDECAR_VERSION: string = typeof __HEARTH_SIDECAR_VERSION__ === "string" ? __HEARTH_SIDECAR_VERSION__ : "dev";
