// Run jobs against @openzeppelin/merkle-tree so tests can compare ledger.merkle with it.
//
//     node tests/integration/merkle_oz.mjs < jobs.json > results.json
//
// stdin is a JSON array of jobs, stdout a JSON array of results in the same order. A job that
// throws yields {"error": message} so a test can assert that the package refuses an input.
//
//   {"op": "of", "values": [...], "leafEncoding": [...], "sortLeaves": true, "multiproofs": [[i...]],
//    "proofIndices": [i...]}
//     -> {"root", "dump", "proofs": [proof of each index], "proofsByValue": [proof of each value],
//         "multiproofs": [{"leaves", "proof", "proofFlags"}]}
//   proofIndices (default: every index) limits both kinds of proof, which the package makes
//   slowly (~0.5 ms each) since it re-checks every proof it returns.
//   {"op": "load", "dump": {...}, "proofs": [proof of each index], "multiproofs": [multiproof...]}
//     -> {"root", "dump", "proofs", "verified": [bool per index], "staticVerified": [bool...],
//         "multiVerified": [bool per multiproof]}
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

function indices(tree) {
  return Array.from({ length: tree.length }, (_, i) => i);
}

function described(tree, wanted = indices(tree)) {
  return { root: tree.root, dump: tree.dump(), proofs: wanted.map((i) => tree.getProof(i)) };
}

function run(job) {
  if (job.op === "of") {
    const tree = StandardMerkleTree.of(job.values, job.leafEncoding, {
      sortLeaves: job.sortLeaves ?? true,
    });
    const wanted = job.proofIndices ?? indices(tree);
    return {
      ...described(tree, wanted),
      proofsByValue: wanted.map((i) => tree.getProof(job.values[i])),
      multiproofs: (job.multiproofs ?? []).map((chosen) => tree.getMultiProof(chosen)),
    };
  }
  if (job.op === "load") {
    const tree = StandardMerkleTree.load(job.dump);
    const encoding = job.dump.leafEncoding;
    const proofs = job.proofs ?? [];
    return {
      ...described(tree),
      verified: proofs.map((proof, i) => tree.verify(i, proof)),
      staticVerified: proofs.map((proof, i) =>
        StandardMerkleTree.verify(tree.root, encoding, tree.at(i), proof),
      ),
      multiVerified: (job.multiproofs ?? []).map((multiproof) =>
        StandardMerkleTree.verifyMultiProof(tree.root, encoding, multiproof),
      ),
    };
  }
  throw new Error(`unknown op ${job.op}`);
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((job) => {
  try {
    return run(job);
  } catch (error) {
    return { error: String(error.message ?? error) };
  }
});
process.stdout.write(JSON.stringify(results));
