// Builds the map's geography from npm packages, at setup (`make vendor`), never by hand:
// the country borders around the Kursk region from Natural Earth's 1:10m Admin 0 countries
// (public domain; TopoJSON from the world-atlas package, decoded with topojson-client),
// cut to a box around the region, as one small GeoJSON file that the browser map and the
// server-drawn SVG map both read.
//
//   node scripts/geography.mjs OUT.geojson
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { feature, mesh } from "topojson-client";

const require = createRequire(import.meta.url);
const topology = JSON.parse(readFileSync(require.resolve("world-atlas/countries-10m.json"), "utf8"));
const atlasVersion = JSON.parse(readFileSync(require.resolve("world-atlas/package.json"), "utf8")).version;

// The region's box (app/settlements/regions.py) with a margin wide enough to show the
// border and the neighbouring provinces at the map's widest view.
const BOX = { west: 31.5, east: 41.0, south: 49.3, north: 53.8 };
// Where each country's name is written: once far out, once close to the border where the
// fighting was (so a map zoomed on it still says which side is which). Kept only if the
// point lies inside that country.
const COUNTRY_LABELS = [
  { name: "Russia", lon: 36.9, lat: 52.75 },
  { name: "Russia", lon: 35.7, lat: 51.52 },
  { name: "Ukraine", lon: 33.9, lat: 50.35 },
  { name: "Ukraine", lon: 34.75, lat: 50.93 },
  { name: "Belarus", lon: 31.9, lat: 53.3 },
];

const inBox = ([lon, lat]) => lon >= BOX.west && lon <= BOX.east && lat >= BOX.south && lat <= BOX.north;
const round = ([lon, lat]) => [Math.round(lon * 1e4) / 1e4, Math.round(lat * 1e4) / 1e4];

// Keep the runs of a line that lie in the box, each with one point beyond either end so the
// line reaches the box's edge.
function clipLine(points) {
  const runs = [];
  let run = [];
  points.forEach((point, i) => {
    if (inBox(point)) {
      if (!run.length && i > 0) run.push(points[i - 1]);
      run.push(point);
    } else if (run.length) {
      run.push(point);
      runs.push(run);
      run = [];
    }
  });
  if (run.length) runs.push(run);
  return runs.filter((r) => r.length >= 2).map((r) => r.map(round));
}

function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function contains(geometry, point) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  return polygons.some((rings) => inRing(point, rings[0]) && !rings.slice(1).some((hole) => inRing(point, hole)));
}

const countries = topology.objects.countries;
// Borders between two countries (a !== b), not coastlines.
const borders = mesh(topology, countries, (a, b) => a !== b);
const lines = borders.coordinates.flatMap(clipLine);
const shapes = feature(topology, countries).features;
const labels = COUNTRY_LABELS.filter((label) => {
  const shape = shapes.find((f) => f.properties.name === label.name);
  return shape && contains(shape.geometry, [label.lon, label.lat]);
});

const geography = {
  type: "FeatureCollection",
  bbox: [BOX.west, BOX.south, BOX.east, BOX.north],
  properties: {
    source: `Natural Earth 1:10m Admin 0 countries (public domain), world-atlas ${atlasVersion}`,
  },
  features: [
    { type: "Feature", properties: { kind: "border" }, geometry: { type: "MultiLineString", coordinates: lines } },
    ...labels.map((label) => ({
      type: "Feature",
      properties: { kind: "country", name: label.name },
      geometry: { type: "Point", coordinates: [label.lon, label.lat] },
    })),
  ],
};
if (!lines.length) throw new Error("no border inside the box: is the atlas the expected one?");
writeFileSync(process.argv[2], JSON.stringify(geography));
console.log(`${process.argv[2]}: ${lines.length} border lines, ${lines.flat().length} points, country names at ${labels.map((l) => `${l.name} ${l.lat},${l.lon}`).join("; ")}`);
