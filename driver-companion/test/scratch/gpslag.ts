import {
  GpsSimulator,
  SimulatedVehicle,
  generateCityRoute,
  createMemoryLink,
  GpsReader,
} from '@fleetline/hardware';
const vehicle = new SimulatedVehicle({
  route: generateCityRoute({ center: { lat: 52.5, lon: 13.4 }, seed: 1 }),
});
const link = createMemoryLink();
const sim = new GpsSimulator({ vehicle, rateHz: 1, startTime: new Date() });
await sim.attach(link.device);
const reader = new GpsReader(link.host);
reader.onFix((fix) => console.log('lag ms', Date.now() - (fix.time ?? 0), fix.time));
reader.start();
await link.host.open();
sim.start();
await new Promise((r) => setTimeout(r, 4500));
sim.stop();
process.exit(0);
