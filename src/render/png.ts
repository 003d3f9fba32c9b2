// SVG → PNG with resvg (Rust, prebuilt native binding; no browser, no canvas). System fonts are
// loaded so the labels render with the font Graphviz measured them with (DejaVu Sans).
import { Resvg } from '@resvg/resvg-js';

export interface PngOptions {
  /** Output width in pixels; the height follows the aspect ratio. Default: the SVG's own size. */
  readonly width?: number;
}

/**
 * Rasterizes an SVG on a white background.
 * @example
 *   const png = renderPng(await renderSvg(dot), { width: 1600 });
 */
export function renderPng(svg: string, options: PngOptions = {}): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: options.width === undefined ? { mode: 'original' } : { mode: 'width', value: options.width },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
