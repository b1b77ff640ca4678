import { describe, expect, it } from "vitest";
import { addonManifest, binaryPackages, buildName, chooseGpu, gpuKindsFor, NPM_INSTALL_ARGS, type GpuFacts } from "./packages.js";

const linux: GpuFacts = { platform: "linux", arch: "x64", nvidia: false, vulkan: false };

describe("binaryPackages: the CPU build, plus the one GPU kind asked for", () => {
  it.each([
    ["linux", "x64", "cpu", ["@node-llama-cpp/linux-x64"]],
    ["linux", "x64", "cuda", ["@node-llama-cpp/linux-x64", "@node-llama-cpp/linux-x64-cuda", "@node-llama-cpp/linux-x64-cuda-ext"]],
    ["linux", "x64", "vulkan", ["@node-llama-cpp/linux-x64", "@node-llama-cpp/linux-x64-vulkan"]],
    ["linux", "arm64", "cpu", ["@node-llama-cpp/linux-arm64"]],
    ["linux", "arm", "cpu", ["@node-llama-cpp/linux-armv7l"]],
    ["darwin", "arm64", "metal", ["@node-llama-cpp/mac-arm64-metal"]],
    ["darwin", "x64", "cpu", ["@node-llama-cpp/mac-x64"]],
  ] as const)("%s-%s %s → %j", (platform, arch, gpu, packages) => {
    expect(binaryPackages(platform, arch, gpu)).toEqual(packages);
  });

  it("refuses a build the platform has none of, naming what it has", () => {
    expect(() => binaryPackages("linux", "arm64", "cuda")).toThrow("no cuda build of llama.cpp for linux-arm64 (there: cpu)");
    expect(() => binaryPackages("darwin", "arm64", "cpu")).toThrow("(there: metal)");
    expect(() => binaryPackages("freebsd", "x64", "cpu")).toThrow(/no prebuilt llama.cpp for freebsd-x64/);
  });

  it("lists the kinds each platform has", () => {
    expect(gpuKindsFor("linux", "x64")).toEqual(["cpu", "cuda", "vulkan"]);
    expect(gpuKindsFor("darwin", "arm64")).toEqual(["metal"]);
  });
});

describe("chooseGpu", () => {
  it("takes what was asked for", () => expect(chooseGpu("vulkan", { ...linux, nvidia: true })).toBe("vulkan"));
  it("auto: CUDA with an NVIDIA driver, else Vulkan with a loader, else the CPU", () => {
    expect(chooseGpu("auto", { ...linux, nvidia: true, vulkan: true })).toBe("cuda");
    expect(chooseGpu("auto", { ...linux, vulkan: true })).toBe("vulkan");
    expect(chooseGpu("auto", linux)).toBe("cpu");
  });
  it("auto: the platform's only build where there is one", () => {
    expect(chooseGpu("auto", { platform: "darwin", arch: "arm64", nvidia: false, vulkan: false })).toBe("metal");
    expect(chooseGpu("auto", { platform: "linux", arch: "arm64", nvidia: true, vulkan: true })).toBe("cpu");
  });
});

describe("the add-on's package.json and npm install", () => {
  it("pins node-llama-cpp and the chosen binaries as plain dependencies", () => {
    expect(addonManifest("3.22.1", ["@node-llama-cpp/linux-x64"])).toMatchObject({ private: true, dependencies: { "node-llama-cpp": "3.22.1", "@node-llama-cpp/linux-x64": "3.22.1" } });
  });
  it("omits the other binary packages and runs no install scripts", () => {
    expect(NPM_INSTALL_ARGS).toEqual(expect.arrayContaining(["install", "--omit=optional", "--ignore-scripts"]));
  });
  it("names builds as doctor shows them", () => {
    expect([buildName("cpu"), buildName("cuda"), buildName("metal")]).toEqual(["CPU", "CPU + CUDA", "Metal"]);
  });
});
