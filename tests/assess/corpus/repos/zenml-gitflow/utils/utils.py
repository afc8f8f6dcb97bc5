# corpus copy of zenml-io/zenml-gitflow@9d832d028671 utils/utils.py (Apache-2.0), trimmed
import datetime
import numpy as np
import pandas as pd

def mock_data(n_samples: int = 1000) -> pd.DataFrame:
    # First generate the categories
    categories = np.random.choice(["Electronics", "Clothing", "Home", "Books", "Sports"], n_samples)
    
    # Define category-specific distribution parameters
    category_params = {
        "Electronics": {
            "price": {"mean": 200, "std": 50},
            "manufacturing_cost": {"mean": 80, "std": 20},
            "shipping_weight": {"mean": 2.5, "std": 1.2}
        },
        "Clothing": {
            "price": {"mean": 80, "std": 30},
            "manufacturing_cost": {"mean": 40, "std": 12},
            "shipping_weight": {"mean": 0.8, "std": 0.3}
        },
        "Home": {
            "price": {"mean": 150, "std": 45},
            "manufacturing_cost": {"mean": 60, "std": 18},
            "shipping_weight": {"mean": 5, "std": 2.5}
        },
        "Books": {
            "price": {"mean": 30, "std": 15},
            "manufacturing_cost": {"mean": 15, "std": 5},
            "shipping_weight": {"mean": 1.5, "std": 0.5}
        },
        "Sports": {
            "price": {"mean": 120, "std": 40},
            "manufacturing_cost": {"mean": 50, "std": 15},
            "shipping_weight": {"mean": 3, "std": 1.0}
        }
    }
    
    # Initialize empty arrays for category-specific attributes
    prices = np.zeros(n_samples)
    manufacturing_costs = np.zeros(n_samples)
    shipping_weights = np.zeros(n_samples)
    
    # Generate data for each category
    for category in category_params:
        mask = categories == category
        category_count = np.sum(mask)
        
        prices[mask] = np.random.normal(
            category_params[category]["price"]["mean"],
            category_params[category]["price"]["std"],
            category_count
        )
        
        manufacturing_costs[mask] = np.random.normal(
            category_params[category]["manufacturing_cost"]["mean"],
            category_params[category]["manufacturing_cost"]["std"],
            category_count
        )
        
        shipping_weights[mask] = np.random.normal(
            category_params[category]["shipping_weight"]["mean"],
            category_params[category]["shipping_weight"]["std"],
            category_count
        )
    
    # Ensure all values are positive
    prices = np.maximum(prices, 10)  # Minimum price of $10
    manufacturing_costs = np.maximum(manufacturing_costs, 5)  # Minimum cost of $5
    shipping_weights = np.maximum(shipping_weights, 0.1)  # Minimum weight of 0.1 kg
    
    # Generate remaining data
    data = {
        "product_id": [f"PROD-{i:04d}" for i in range(n_samples)],
        "category": categories,
        "brand_rating": np.random.uniform(1, 5, n_samples),
        "num_reviews": np.random.randint(0, 500, n_samples),
        "days_since_release": np.random.randint(1, 1000, n_samples),
        "discount_offered": np.random.choice([True, False], n_samples),
        "shipping_weight": shipping_weights,
        "competitors_price": prices * np.random.uniform(0.8, 1.2, n_samples),  # Competitors price varies around our price
        "manufacturing_cost": manufacturing_costs,
        "price": prices
    }
    
    # Introduce some missing values
    for col in ["brand_rating", "num_reviews", "shipping_weight"]:
        missing_indices = np.random.choice(range(n_samples), size=int(n_samples * 0.05), replace=False)
        data[col] = pd.Series(data[col])
        data[col].iloc[missing_indices] = None
    
    df = pd.DataFrame(data)
    return df

def make_category_boxplot_data(field, variable_name, data: pd.DataFrame):
    """Generate boxplot data for a specific field by category.
    
    Args:
        field: The dataframe column to plot
        variable_name: The JavaScript variable name to push data to
    """
    colors = {
        "Electronics": "rgba(255, 99, 132, 0.7)",
        "Clothing": "rgba(54, 162, 235, 0.7)",
        "Home": "rgba(255, 206, 86, 0.7)",
        "Books": "rgba(75, 192, 192, 0.7)",
        "Sports": "rgba(153, 102, 255, 0.7)"
    }
    
    js_code = []
    for category in data['category'].unique():
        cat_data = data[data['category'] == category][field].tolist()
        cat_stats = {
            "mean": float(data[data['category'] == category][field].mean()),
            "median": float(data[data['category'] == category][field].median()),
            "min": float(data[data['category'] == category][field].min()),
            "max": float(data[data['category'] == category][field].max()),
            "count": len(cat_data)
        }
        
        field_unit = "$" if field in ["price", "manufacturing_cost", "competitors_price"] else ""
