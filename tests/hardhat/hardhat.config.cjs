// Minimal Hardhat 2 config for the local JSON-RPC node the chain integration tests start.
// No Solidity sources here, so `hardhat node` has nothing to compile and never fetches solc.
const os = require("node:os");
const path = require("node:path");

// Cache and artifacts go to a scratch folder so the node leaves nothing in the work tree.
const scratch = process.env.SHAREFAB_HARDHAT_SCRATCH || path.join(os.tmpdir(), "sharefab-hardhat");

module.exports = {
  paths: {
    sources: path.join(scratch, "contracts"),
    cache: path.join(scratch, "cache"),
    artifacts: path.join(scratch, "artifacts"),
  },
  networks: {
    hardhat: {
      chainId: 31337,
    },
  },
};
