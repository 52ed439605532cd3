// The hardware layer (transports, ELM327/OBD-II, NMEA 0183, simulators) is
// built under issue 3; see hardware/README.md.
export {};
