// msgpackr catches this and uses its JavaScript string extraction.
throw new Error('msgpackr-extract native acceleration is not installed');
