import { describe, expect, it } from "vitest";
import { configFileToRead, defaultConfigPath } from "./config-path.js";

describe("the config file's place", () => {
  it("is under XDG_CONFIG_HOME when it is absolute, else ~/.config", () => {
    expect(defaultConfigPath({}, "/home/ann")).toBe("/home/ann/.config/hearth/sidecar.yaml");
    expect(defaultConfigPath({ XDG_CONFIG_HOME: "/cfg" }, "/home/ann")).toBe("/cfg/hearth/sidecar.yaml");
    expect(defaultConfigPath({ XDG_CONFIG_HOME: "relative" }, "/home/ann")).toBe("/home/ann/.config/hearth/sidecar.yaml");
  });

  it("is read from --config, else HEARTH_SIDECAR_CONFIG, else the default path only when a file is there", () => {
    const env = { XDG_CONFIG_HOME: "/cfg" };
    expect(configFileToRead("/x.yaml", { ...env, HEARTH_SIDECAR_CONFIG: "/y.yaml" }, () => true)).toBe("/x.yaml");
    expect(configFileToRead(undefined, { ...env, HEARTH_SIDECAR_CONFIG: "/y.yaml" }, () => true)).toBe("/y.yaml");
    expect(configFileToRead(undefined, env, (p) => p === "/cfg/hearth/sidecar.yaml")).toBe("/cfg/hearth/sidecar.yaml");
    expect(configFileToRead(undefined, env, () => false)).toBeUndefined();
  });
});
