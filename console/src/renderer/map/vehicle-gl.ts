import { COLORS, STATE_COLORS } from '../theme/tokens';
import { VEHICLE_STATES } from '../stores/vehicle-state';
import type { VehicleRecord } from '../stores/fleet-store';
import type { MapLike } from './engine';

/**
 * Every vehicle drawn by one WebGL custom layer: a point sprite per vehicle,
 * a dot coloured by state with a heading chevron and a halo when selected.
 * Updating it is one buffer upload and one repaint of the map, with no tiling
 * and no symbol placement, which is what keeps 10,000 vehicles at 1 Hz
 * cheap (docs/BENCHMARKS.md). Hit testing for clicks is done here too.
 */

type GL = WebGLRenderingContext | WebGL2RenderingContext;

/**
 * Two passes over the same vertices, with sprites only as large as what they
 * draw (software GL pays per pixel): dots first (with the selection halo),
 * then heading chevrons moved ahead of each dot along its heading.
 */
const VERTEX = `
attribute vec2 a_pos;
attribute float a_state;
attribute float a_heading;
attribute float a_selected;
uniform mat4 u_matrix;
uniform float u_pass;
uniform float u_radius;
uniform float u_dpr;
uniform float u_bearing;
uniform vec2 u_viewport;
uniform vec3 u_colors[4];
varying vec3 v_color;
varying float v_heading;
varying float v_selected;
varying float v_size;
void main() {
  gl_Position = u_matrix * vec4(a_pos, 0.0, 1.0);
  int s = int(a_state + 0.5);
  v_color = s == 0 ? u_colors[0] : s == 1 ? u_colors[1] : s == 2 ? u_colors[2] : u_colors[3];
  v_heading = a_heading;
  v_selected = a_selected;
  if (u_pass < 0.5) {
    v_size = 2.0 * (u_radius + (a_selected > 0.5 ? 7.0 : 2.0));
  } else {
    v_size = a_heading < 0.0 ? 0.0 : 14.0;
    float a = radians(a_heading - u_bearing);
    vec2 ahead = vec2(sin(a), cos(a));
    gl_Position.xy += ahead * (u_radius + 5.0) * u_dpr * 2.0 / u_viewport * gl_Position.w;
  }
  gl_PointSize = v_size * u_dpr;
}`;

const FRAGMENT = `
precision highp float;
uniform float u_pass;
uniform float u_radius;
uniform float u_opacity;
uniform float u_bearing;
uniform vec3 u_stroke;
uniform vec3 u_focus;
varying vec3 v_color;
varying float v_heading;
varying float v_selected;
varying float v_size;
void main() {
  vec2 p = (gl_PointCoord - 0.5) * v_size;
  vec4 color = vec4(0.0);
  if (u_pass < 0.5) {
    float d = length(p);
    if (v_selected > 0.5 && d > u_radius + 3.0 && d < u_radius + 6.0) color = vec4(u_focus, 1.0);
    if (d < u_radius + 1.5) color = vec4(mix(v_color, u_stroke, smoothstep(u_radius - 0.5, u_radius + 0.5, d)), 1.0 - smoothstep(u_radius + 1.0, u_radius + 1.5, d));
  } else {
    float a = radians(v_heading - u_bearing);
    float along = dot(p, vec2(sin(a), -cos(a)));
    float side = abs(dot(p, vec2(cos(a), sin(a))));
    float edge = (5.0 - along) * 0.7;
    if (along > -3.0 && along < 5.0 && side < edge) color = side > edge - 1.2 || along < -1.8 ? vec4(u_stroke, 1.0) : vec4(v_color, 1.0);
  }
  if (color.a <= 0.0) discard;
  float alpha = color.a * u_opacity;
  gl_FragColor = vec4(color.rgb * alpha, alpha);
}`;

const STRIDE = 5;
const STATE_INDEX: Record<VehicleRecord['state'], number> = {
  moving: 0,
  idle: 1,
  offline: 2,
  alarm: 3,
};

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** Web Mercator in [0, 1], as map engines' custom layers expect. */
export function mercator(lon: number, lat: number): [number, number] {
  const x = (lon + 180) / 360;
  const s = Math.sin((lat * Math.PI) / 180);
  const y = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  return [x, y];
}

/** Dot radius in pixels by zoom: small when many share the screen, larger when zoomed in. */
export function dotRadius(zoom: number): number {
  return Math.max(3, Math.min(9, 3 + (zoom - 8) * 0.6));
}

/** M × T(ref): positions are uploaded relative to `ref`, so float32 keeps street-level precision. */
function translated(matrix: ArrayLike<number>, ref: readonly [number, number]): Float32Array {
  const out = new Float32Array(16);
  for (let i = 0; i < 16; i++) out[i] = matrix[i] as number;
  for (let row = 0; row < 4; row++) {
    out[12 + row] =
      (matrix[row] as number) * ref[0] +
      (matrix[4 + row] as number) * ref[1] +
      (matrix[12 + row] as number);
  }
  return out;
}

/**
 * The matrix from Web Mercator [0, 1] to clip space: maplibre-gl 5 passes it
 * as defaultProjectionData.mainMatrix, mapbox-gl passes the matrix itself.
 */
function mercatorMatrix(input: unknown): ArrayLike<number> {
  if (ArrayBuffer.isView(input) || Array.isArray(input))
    return input as unknown as ArrayLike<number>;
  const args = input as {
    defaultProjectionData?: { mainMatrix: ArrayLike<number> };
    modelViewProjectionMatrix: ArrayLike<number>;
  };
  return args.defaultProjectionData?.mainMatrix ?? args.modelViewProjectionMatrix;
}

export class VehicleGlLayer {
  readonly id: string;
  readonly type = 'custom' as const;
  readonly renderingMode = '2d' as const;
  #map: MapLike | null = null;
  #program: WebGLProgram | null = null;
  #buffer: WebGLBuffer | null = null;
  #data = new Float32Array(0);
  #count = 0;
  #ref: [number, number] = [0.5, 0.5];
  #dirty = false;
  #opacity = 1;
  #minZoom: number;
  /** What was drawn, for hit testing: id and lon/lat per vertex. */
  #ids: number[] = [];
  #lonLat = new Float64Array(0);
  readonly #locations: Record<string, number | WebGLUniformLocation | null> = {};

  constructor(id: string, options: { minZoom: number }) {
    this.id = id;
    this.#minZoom = options.minZoom;
  }

  onAdd(map: unknown, gl: GL): void {
    this.#map = map as MapLike;
    const program = gl.createProgram();
    const shader = (type: number, source: string) => {
      const s = gl.createShader(type);
      if (!s) throw new Error('WebGL: cannot create a shader');
      gl.shaderSource(s, source);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS))
        throw new Error(`WebGL: ${gl.getShaderInfoLog(s) ?? 'shader error'}`);
      return s;
    };
    if (!program) throw new Error('WebGL: cannot create a program');
    gl.attachShader(program, shader(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, shader(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS))
      throw new Error(`WebGL: ${gl.getProgramInfoLog(program) ?? 'link error'}`);
    this.#program = program;
    for (const name of ['a_pos', 'a_state', 'a_heading', 'a_selected'])
      this.#locations[name] = gl.getAttribLocation(program, name);
    for (const name of [
      'u_matrix',
      'u_pass',
      'u_dpr',
      'u_viewport',
      'u_colors',
      'u_radius',
      'u_opacity',
      'u_bearing',
      'u_stroke',
      'u_focus',
    ])
      this.#locations[name] = gl.getUniformLocation(program, name);
    this.#buffer = gl.createBuffer();
    this.#dirty = true;
  }

  onRemove(_map: unknown, gl: GL): void {
    if (this.#buffer) gl.deleteBuffer(this.#buffer);
    if (this.#program) gl.deleteProgram(this.#program);
    this.#buffer = null;
    this.#program = null;
    this.#map = null;
  }

  /** Replaces the vehicles drawn; the map repaints once. */
  setVehicles(vehicles: readonly VehicleRecord[], selectedId: number | null): void {
    let n = 0;
    const data =
      this.#data.length >= vehicles.length * STRIDE
        ? this.#data
        : new Float32Array(vehicles.length * STRIDE * 1.25);
    const lonLat =
      this.#lonLat.length >= vehicles.length * 2
        ? this.#lonLat
        : new Float64Array(vehicles.length * 2 * 1.25);
    const ids: number[] = [];
    let refSet = false;
    for (const v of vehicles) {
      const p = v.position;
      if (!p) continue;
      const [x, y] = mercator(p.lon, p.lat);
      if (!refSet) {
        this.#ref = [x, y];
        refSet = true;
      }
      const o = n * STRIDE;
      data[o] = x - this.#ref[0];
      data[o + 1] = y - this.#ref[1];
      data[o + 2] = STATE_INDEX[v.state];
      data[o + 3] = p.headingDeg ?? -1;
      data[o + 4] = v.id === selectedId ? 1 : 0;
      lonLat[n * 2] = p.lon;
      lonLat[n * 2 + 1] = p.lat;
      ids.push(v.id);
      n += 1;
    }
    this.#data = data;
    this.#lonLat = lonLat;
    this.#ids = ids;
    this.#count = n;
    this.#dirty = true;
    this.#map?.triggerRepaint();
  }

  setOpacity(opacity: number): void {
    this.#opacity = opacity;
    this.#map?.triggerRepaint();
  }

  get count(): number {
    return this.#count;
  }

  /** The vehicle drawn nearest to a screen point, within `radius` pixels. */
  hitTest(point: { x: number; y: number }, radius = 12): number | null {
    const map = this.#map;
    if (!map || map.getZoom() < this.#minZoom) return null;
    let best: number | null = null;
    let bestD = radius * radius;
    for (let i = 0; i < this.#count; i++) {
      const screen = map.project([
        this.#lonLat[i * 2] as number,
        this.#lonLat[i * 2 + 1] as number,
      ]);
      const d = (screen.x - point.x) ** 2 + (screen.y - point.y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = this.#ids[i] ?? null;
      }
    }
    return best;
  }

  render(gl: GL, input: unknown): void {
    const map = this.#map;
    if (!map || !this.#program || this.#count === 0) return;
    const zoom = map.getZoom();
    if (zoom < this.#minZoom) return;
    const matrix = mercatorMatrix(input);
    gl.useProgram(this.#program);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#buffer);
    if (this.#dirty) {
      gl.bufferData(gl.ARRAY_BUFFER, this.#data.subarray(0, this.#count * STRIDE), gl.DYNAMIC_DRAW);
      this.#dirty = false;
    }
    const bytes = Float32Array.BYTES_PER_ELEMENT;
    const attribute = (name: string, size: number, offset: number) => {
      const loc = this.#locations[name] as number;
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, gl.FLOAT, false, STRIDE * bytes, offset * bytes);
    };
    attribute('a_pos', 2, 0);
    attribute('a_state', 1, 2);
    attribute('a_heading', 1, 3);
    attribute('a_selected', 1, 4);
    const canvas = map.getCanvas();
    const uniform = (name: string) => this.#locations[name] as WebGLUniformLocation;
    gl.uniformMatrix4fv(uniform('u_matrix'), false, translated(matrix, this.#ref));
    gl.uniform1f(uniform('u_radius'), dotRadius(zoom));
    gl.uniform1f(uniform('u_dpr'), canvas.width / Math.max(1, canvas.clientWidth));
    gl.uniform2f(uniform('u_viewport'), gl.drawingBufferWidth, gl.drawingBufferHeight);
    gl.uniform1f(uniform('u_opacity'), this.#opacity);
    gl.uniform1f(
      uniform('u_bearing'),
      (map as unknown as { getBearing?: () => number }).getBearing?.() ?? 0,
    );
    gl.uniform3fv(
      uniform('u_colors'),
      VEHICLE_STATES.flatMap((s) => rgb(STATE_COLORS[s])),
    );
    gl.uniform3fv(uniform('u_stroke'), rgb(COLORS.background));
    gl.uniform3fv(uniform('u_focus'), rgb(COLORS.focus));
    gl.disable(gl.DEPTH_TEST);
    gl.disable(gl.STENCIL_TEST);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    for (const pass of [0, 1]) {
      gl.uniform1f(uniform('u_pass'), pass);
      gl.drawArrays(gl.POINTS, 0, this.#count);
    }
    for (const name of ['a_pos', 'a_state', 'a_heading', 'a_selected'])
      gl.disableVertexAttribArray(this.#locations[name] as number);
  }
}
