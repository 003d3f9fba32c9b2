// Loads a tfjs Layers model from files on disk with @tensorflow/tfjs (no tfjs-node): an IOHandler
// reading model.json and its weight shards, as tfjs-node's file:// handler does.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export function readArtifacts(modelJsonPath: string): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
  const groups: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] = json.weightsManifest;
  const shards = groups.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(modelJsonPath), p))));
  const bytes = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
}

/** tf.loadLayersModel on DIR/model.json. */
export function loadWritten(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel({ load: async () => readArtifacts(join(dir, 'model.json')) });
}

/** tf.LayersModel.save to DIR/model.json + DIR/weights.bin, laid out as tfjs-node's file:// handler writes them. */
export async function saveToDir(model: tf.LayersModel, dir: string): Promise<void> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      mkdirSync(dir, { recursive: true });
      const data = artifacts.weightData;
      if (data === undefined || Array.isArray(data)) throw new Error('expected one weight buffer');
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(data));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}
