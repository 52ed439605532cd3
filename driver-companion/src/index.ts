// The in-vehicle companion is built under issue 4; see driver-companion/README.md.
export {};
