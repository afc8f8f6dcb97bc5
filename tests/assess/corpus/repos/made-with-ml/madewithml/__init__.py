# corpus copy of GokuMohandas/Made-With-ML@66e8e4371150 madewithml/__init__.py (MIT)
from dotenv import load_dotenv

load_dotenv()
