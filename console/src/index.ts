// The dispatch console is built under issue 5; see console/README.md.
export {};
