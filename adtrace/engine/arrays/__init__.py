"""Array programs: a tape of array nodes (numpy values), its VJP and JVP sweeps, and its element level."""
